import type { ImageInfo } from '../../../electron/common/contract';

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
      {image.geo && (
        <>
          <h4>Georeferencing</h4>
          <dl data-testid="geo">
            <div className="row"><dt>CRS</dt><dd>{image.geo.epsg ? `EPSG:${image.geo.epsg}` : 'unknown'}{image.geo.crsName ? ` — ${image.geo.crsName}` : ''}</dd></div>
            <div className="row"><dt>Origin</dt><dd>{image.geo.origin.map((v) => v.toFixed(3)).join(', ')}</dd></div>
            <div className="row"><dt>Pixel size</dt><dd>{image.geo.pixelSize.map((v) => Math.abs(v).toPrecision(4)).join(' × ')} {image.geo.units ?? ''}</dd></div>
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
