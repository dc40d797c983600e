import { pixelToMap } from '../../../electron/common/geo';
import { activeImage, useApp } from '../state/store';
import { formatZoom } from './TopBar';

/** Bottom bar: where inference runs (and why not elsewhere), zoom, cursor position. */
export function StatusBar() {
  const engine = useApp((s) => s.engine);
  const engineState = useApp((s) => s.engineState);
  const image = useApp(activeImage);
  const view = useApp((s) => s.view);
  const setDialog = useApp((s) => s.setDialog);

  const skipped = engine?.providers.probe.filter((a) => !a.ok) ?? [];
  const providerTitle = skipped.map((a) => `${a.provider}: ${a.reason}`).join('\n');
  const cursor = image && view.cursor && view.cursor.x >= 0 && view.cursor.y >= 0 && view.cursor.x < image.width && view.cursor.y < image.height ? view.cursor : null;
  const map = cursor && image?.geo ? pixelToMap(image.geo, cursor.x, cursor.y) : null;

  return (
    <footer className="statusbar">
      <button type="button" className={`status-item provider ${engineState}`} title={providerTitle || undefined} onClick={() => setDialog('settings', true)} data-testid="provider-status">
        <span className={`dot ${engineState === 'ready' ? 'ok' : engineState === 'offline' ? 'failed' : 'busy'}`} />
        {engineState === 'offline'
          ? 'Engine offline'
          : engineState === 'restarting'
            ? 'Engine restarting…'
            : engine
              ? `Inference: ${providerLabel(engine.providers.active)}${skipped.length ? ` (${skipped.map((a) => a.provider).join(', ')} unavailable)` : ''}`
              : 'Checking GPU…'}
      </button>
      <span className="spacer" />
      {image && (
        <>
          {cursor && <span className="status-item mono" data-testid="cursor">x {Math.floor(cursor.x)}, y {Math.floor(cursor.y)}</span>}
          {map && <span className="status-item mono">{image.geo?.epsg ? `EPSG:${image.geo.epsg} ` : ''}{map[0].toFixed(2)}, {map[1].toFixed(2)}</span>}
          <span className="status-item mono">{formatZoom(view.zoom)}</span>
          <span className="status-item">{image.width.toLocaleString()} × {image.height.toLocaleString()}</span>
        </>
      )}
    </footer>
  );
}

function providerLabel(provider: string | null): string {
  switch (provider) {
    case 'cuda':
      return 'NVIDIA GPU (CUDA)';
    case 'tensorrt':
      return 'NVIDIA GPU (TensorRT)';
    case 'dml':
      return 'GPU (DirectML)';
    case 'webgpu':
      return 'GPU (WebGPU)';
    case 'coreml':
      return 'Apple Neural Engine / GPU (Core ML)';
    case 'cpu':
      return 'CPU';
    default:
      return 'no provider works';
  }
}
