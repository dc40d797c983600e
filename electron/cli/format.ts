import type { EngineInfo, ImageMeta } from '../common/contract';
import { formatGsd } from '../common/ground-resolution';

const out = (line = '') => process.stdout.write(`${line}\n`);

export function printEngineInfo(info: EngineInfo): void {
  out(`Iriscope ${info.app.version}`);
  out(`  node ${info.runtime.node}${info.runtime.electron ? `, electron ${info.runtime.electron}` : ''}, ${info.runtime.platform}/${info.runtime.arch}, ${info.runtime.cpus} CPUs, ${(info.runtime.totalMemoryBytes / 1024 ** 3).toFixed(0)} GB`);
  out(`  onnxruntime ${info.libraries.onnxruntime}, sharp ${info.libraries.sharp}, libvips ${info.libraries.libvips}`);
  out();
  out(`Execution providers (${info.providers.override === 'auto' ? 'automatic' : `forced: ${info.providers.override}`}; tried in order ${info.providers.chain.join(' → ')}):`);
  for (const attempt of info.providers.probe) {
    out(`  ${attempt.ok ? '✔' : '✘'} ${attempt.provider.padEnd(8)} ${attempt.ok ? `works (${attempt.ms.toFixed(0)} ms to start)` : attempt.reason}${info.providers.chain.includes(attempt.provider) ? '' : ' (not in the automatic chain)'}`);
  }
  out(`  → new sessions run on: ${info.providers.active ?? 'nothing (no provider works)'}`);
  out();
  out(`Models (${info.models.length}):`);
  for (const model of info.models) {
    out(`  ${model.valid ? '✔' : '✘'} ${model.id.padEnd(22)} ${model.task.padEnd(16)} ${model.name}${model.builtin ? '' : ' (imported)'}`);
    if (!model.valid && model.error) out(`      ${model.error.message}${model.error.detail ? ` (${model.error.detail})` : ''}`);
  }
  if (!info.models.length) out('  none installed');
  out();
  out(`Cache: ${info.paths.cache}`);
  out(`Settings: ${info.paths.settings}`);
}

export function printImageMeta(meta: ImageMeta): void {
  out(meta.path);
  out(`  ${meta.format.toUpperCase()}, ${meta.width} × ${meta.height} px (${((meta.width * meta.height) / 1e6).toFixed(1)} Mpx), ${meta.bands} band${meta.bands > 1 ? 's' : ''}, ${meta.bitDepth}-bit ${meta.colourSpace}${meta.hasAlpha ? ' with alpha' : ''}`);
  out(`  file ${(meta.fileBytes / 1024 ** 2).toFixed(2)} MB${meta.pages > 1 ? `, ${meta.pages} pages` : ''}${meta.tiled ? ', tiled' : ''}`);
  out(`  orientation ${meta.orientation}${meta.orientation !== 1 ? ' (rotated on display)' : ''}; ICC ${meta.icc.present ? meta.icc.description ?? 'present' : 'none'}; EXIF ${meta.hasExif ? 'yes' : 'no'}`);
  if (meta.geo) {
    const g = meta.geo;
    out(`  georeferenced: EPSG:${g.epsg ?? '?'}${g.crsName ? ` (${g.crsName})` : ''}, origin ${g.origin.join(', ')}, pixel ${g.pixelSize.join(' × ')} ${g.units ?? ''}`.trimEnd() + (g.gsd ? ` (ground ${formatGsd(g.gsd)})` : ''));
    if (g.problem) out(`  ⚠ georeferencing unusable: ${g.problem}; exports stay in pixel coordinates`);
  }
}
