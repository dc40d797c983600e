import { useState } from 'react';
import type { ImageInfo } from '../../../electron/common/contract';
import { formatGsd } from '../../../electron/common/ground-resolution';
import { useApp } from '../state/store';

/** The side panel describing the open image: size, bands, colour, georeferencing. */
export function Inspector({ image }: { image: ImageInfo }) {
  const mpx = (image.width * image.height) / 1e6;
  const rows: Array<[string, string]> = [
    ['Size', `${image.width.toLocaleString()} × ${image.height.toLocaleString()} px`],
    ['Megapixels', mpx >= 1 ? mpx.toFixed(1) : mpx.toFixed(3)],
    ['Format', `${image.format.toUpperCase()}${image.tiled ? ' (tiled)' : ''}${image.pages > 1 ? `, ${image.pages} pages` : ''}`],
    ['Bands', `${image.bands} × ${image.bitDepth}-bit ${image.colourSpace}${image.hasAlpha ? ', alpha' : ''}`],
    ['File', formatBytes(image.fileBytes)],
    ['Colour profile', image.icc.present ? image.icc.description ?? 'embedded' : 'none (sRGB assumed)'],
    ['Orientation', image.orientation === 1 ? 'upright' : `EXIF ${image.orientation} (shown upright)`],
    ['Pyramid', image.pyramid.state === 'ready' ? `${image.pyramid.levels.length} levels of ${image.pyramid.tileSize}px tiles` : image.pyramid.state],
  ];
  return (
    <aside className="inspector" data-testid="inspector">
      <h3 title={image.path}>{image.name}</h3>
      <p className="muted small path">{image.path}</p>
      <dl>
        {rows.map(([label, value]) => (
          <div key={label} className="row">
            <dt>{label}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>
      {image.format === 'tiff' && image.bands > 1 && <BandPicker image={image} />}
      {image.geo && (
        <>
          <h4>Georeferencing</h4>
          {image.geo.problem && (
            <p className="warning small" data-testid="geo-problem">
              Unusable: {image.geo.problem}. Exports stay in pixel coordinates.
            </p>
          )}
          <dl data-testid="geo">
            <div className="row"><dt>CRS</dt><dd>{image.geo.epsg ? `EPSG:${image.geo.epsg}` : 'unknown'}{image.geo.crsName ? ` — ${image.geo.crsName}` : ''}</dd></div>
            <div className="row"><dt>Origin</dt><dd>{image.geo.origin.map((v) => v.toFixed(3)).join(', ')}</dd></div>
            <div className="row"><dt>Pixel size</dt><dd>{image.geo.pixelSize.map((v) => Math.abs(v).toPrecision(4)).join(' × ')} {image.geo.units ?? ''}</dd></div>
            <div className="row"><dt>Ground resolution</dt><dd data-testid="geo-gsd">{image.geo.gsd ? formatGsd(image.geo.gsd) : 'unknown'}</dd></div>
          </dl>
        </>
      )}
    </aside>
  );
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(1)} KB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(1)} MB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GB`;
}

/**
 * Which bands a multispectral raster shows, as in GIS tools: three as red,
 * green and blue, or one as gray, each stretched 2–98%. Applying opens the
 * raster again with that choice (its own pyramid, cached).
 */
function BandPicker({ image }: { image: ImageInfo }) {
  const openWithBands = useApp((s) => s.openWithBands);
  const shown = image.pyramid.mapping?.bands ?? (image.bands >= 3 ? [1, 2, 3] : [1]);
  const [choice, setChoice] = useState<number[]>(shown.length === 3 ? shown : [shown[0], shown[0], shown[0]]);
  const [gray, setGray] = useState(shown.length === 1);
  const options = Array.from({ length: image.bands }, (_, i) => i + 1);
  const wanted = gray ? [choice[0]] : choice;
  const changed = JSON.stringify(wanted) !== JSON.stringify(shown);
  return (
    <>
      <h4>Bands shown</h4>
      <div className="band-picker" data-testid="band-picker">
        {(gray ? ['Gray'] : ['Red', 'Green', 'Blue']).map((label, i) => (
          <label key={label} className="small">
            {label}{' '}
            <select value={choice[i]} data-testid={`band-${label.toLowerCase()}`} onChange={(e) => setChoice(choice.map((b, j) => (j === i ? Number(e.target.value) : b)))}>
              {options.map((b) => <option key={b} value={b}>band {b}</option>)}
            </select>
          </label>
        ))}
        <label className="small"><input type="checkbox" checked={gray} onChange={(e) => setGray(e.target.checked)} /> one band as gray</label>
        <button type="button" className="button small" disabled={!changed} data-testid="band-apply" onClick={() => void openWithBands(image.path, wanted)}>Show</button>
      </div>
      {image.pyramid.mapping && (
        <p className="muted small" data-testid="band-stretch">
          Stretched 2–98%: {image.pyramid.mapping.stretch.map((s, i) => `band ${image.pyramid.mapping!.bands[i]} ${fmt(s.low)}–${fmt(s.high)}`).join(', ')}
        </p>
      )}
    </>
  );
}

const fmt = (v: number) => (Math.abs(v) >= 100 || Number.isInteger(v) ? Math.round(v).toString() : v.toPrecision(3));
