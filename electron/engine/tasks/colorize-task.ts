/** One photo through Colorize: N samples at full resolution, written as `<base>.colorized-s<seed>-<k>.<ext>`. */
import { formatFor, OUTPUT_EXTENSION, picSessions, samplePhoto } from '../pipelines/colorize/colorize';
import { chooseColorizer } from '../pipelines/colorize/pic-model';
import type { Engine } from '../engine';
import { openForTask, round1, type TaskContext, type TaskOutput } from './task';
import type { ColorizeTaskOptions } from './task-options';

export async function runColorizeTask(engine: Engine, file: string, options: ColorizeTaskOptions, out: TaskOutput, ctx: TaskContext) {
  const t0 = performance.now();
  const cfg = chooseColorizer(engine.models, options.model);
  const { image, reader } = await openForTask(engine, file, ctx);
  try {
    ctx.log(`${image.width} × ${image.height} px, preparing`);
    const sessions = await picSessions(engine.models, cfg);
    let lastRow = 0;
    const photo = await samplePhoto(reader, sessions, cfg, { samples: options.samples, seed: options.seed, temperature: options.temperature }, {
      signal: ctx.signal,
      onRow: (done, total) => {
        if (done === total || done - lastRow >= Math.ceil(total / 4)) {
          lastRow = done;
          ctx.log(`sampling ${options.samples} colorization${options.samples === 1 ? '' : 's'}, row ${done} of ${total}`);
        }
      },
    });
    const format = options.format ?? formatFor(image.format);
    const outputs = photo.grids.map((_, k) => `${out.base}.colorized-s${options.seed}-${k + 1}.${OUTPUT_EXTENSION[format]}`);
    let lastPct = -1;
    await engine.colorization.writeSamples(reader, photo, outputs, format, image.path, {
      signal: ctx.signal,
      progress: (fraction) => {
        const pct = Math.floor((fraction ?? 0) * 4) * 25;
        if (pct > lastPct) {
          lastPct = pct;
          ctx.log(`writing at full resolution ${pct}%`);
        }
      },
    }, out.existing);
    const timing = { embed_ms: round1(photo.timing.embedMs), sample_ms: round1(photo.timing.sampleMs), total_ms: round1(performance.now() - t0) };
    return { file, outputs, seed: options.seed, temperature: options.temperature, model: cfg.modelId, width: image.width, height: image.height, timing };
  } finally {
    await engine.closeImage({ imageId: image.id }).catch(() => undefined);
  }
}

export type ColorizeRecord = Awaited<ReturnType<typeof runColorizeTask>>;
