import type { RefObject } from 'react';
import type { EngineInfo } from '../../../electron/common/contract';
import { pixelToMap } from '../../../electron/common/geo';
import { activeImage, useApp } from '../state/store';
import type { ViewerHandle } from '../viewer/ImageViewer';
import { Icon } from './Icon';
import { JobsIndicator } from './JobPanel';

/** Bottom bar: where inference runs (and what a GPU lacks), the jobs, cursor position, size and zoom. */
export function StatusBar({ viewer }: { viewer: RefObject<ViewerHandle | null> }) {
  const image = useApp(activeImage);
  const view = useApp((s) => s.view);
  const cursor = image && view.cursor && view.cursor.x >= 0 && view.cursor.y >= 0 && view.cursor.x < image.width && view.cursor.y < image.height ? view.cursor : null;
  const map = cursor && image?.geo ? pixelToMap(image.geo, cursor.x, cursor.y) : null;

  return (
    <footer className="statusbar">
      <ProviderStatus />
      <JobsIndicator />
      <span className="spacer" />
      {image && (
        <>
          {cursor && <span className="status-item mono" data-testid="cursor">x {Math.floor(cursor.x)}, y {Math.floor(cursor.y)}</span>}
          {map && <span className="status-item mono">{image.geo?.epsg ? `EPSG:${image.geo.epsg} ` : ''}{map[0].toFixed(2)}, {map[1].toFixed(2)}</span>}
          <span className="status-item">{image.width.toLocaleString()} × {image.height.toLocaleString()} px</span>
          <div className="zoom-group" role="group" aria-label="Zoom">
            <button type="button" className="icon-button" onClick={() => viewer.current?.zoomBy(1 / 1.5)} title="Zoom out (−)" aria-label="Zoom out">
              <Icon name="minus" size={14} />
            </button>
            <span className="zoom-readout" data-testid="zoom-readout">{formatZoom(view.zoom)}</span>
            <button type="button" className="icon-button" onClick={() => viewer.current?.zoomBy(1.5)} title="Zoom in (+)" aria-label="Zoom in">
              <Icon name="plus" size={14} />
            </button>
            <button type="button" className="icon-button" onClick={() => viewer.current?.fit()} title="Fit to window (0)" aria-label="Fit">
              <Icon name="fit" size={14} />
            </button>
            <button type="button" className="icon-button" onClick={() => viewer.current?.actualSize()} title="Actual pixels (1)" aria-label="Actual pixels">
              1:1
            </button>
          </div>
        </>
      )}
    </footer>
  );
}

/** Where new sessions run, in words; red only when nothing can run, and what the GPU lacks when it is not used. */
function ProviderStatus() {
  const engine = useApp((s) => s.engine);
  const engineState = useApp((s) => s.engineState);
  const setDialog = useApp((s) => s.setDialog);
  const { text, note, dot, title } = describe(engine, engineState);
  return (
    <button type="button" className="status-item provider" title={title} onClick={() => setDialog('settings', true)} data-testid="provider-status" data-active={engine?.providers.active ?? ''}>
      <span className={`dot ${dot}`} />
      <span>{text}</span>
      {note && <span className="provider-note" data-testid="provider-note">{note}</span>}
    </button>
  );
}

function describe(engine: EngineInfo | null, state: string): { text: string; note: string | null; dot: 'ok' | 'busy' | 'failed'; title?: string } {
  if (state === 'offline') return { text: 'Engine offline', note: null, dot: 'failed' };
  if (state === 'restarting') return { text: 'Engine restarting…', note: null, dot: 'busy' };
  if (!engine) return { text: 'Checking inference providers…', note: null, dot: 'busy' };
  const { active, probe, override } = engine.providers;
  const title = probe.map((a) => `${a.provider}: ${a.ok ? 'works' : a.reason}`).join('\n') + '\n\nClick for Settings → Inference';
  if (!active) return { text: 'No inference provider works', note: override !== 'auto' ? `${override} is forced in Settings` : null, dot: 'failed', title };
  const forced = override !== 'auto' ? ' (chosen in Settings)' : '';
  // On the CPU, say what the first GPU provider lacks.
  const gpu = active === 'cpu' ? probe.find((a) => a.provider !== 'cpu' && !a.ok && engine.providers.chain.includes(a.provider)) : undefined;
  return { text: `Inference: ${providerLabel(active)}${forced}`, note: gpu && override === 'auto' ? `no GPU: ${shortReason(gpu.reason)}` : null, dot: 'ok', title };
}

/** The first clause of a provider's reason, without onnxruntime's name. */
function shortReason(reason: string | null): string {
  return (reason ?? 'unavailable').replace(/^onnxruntime's /, '').split(/[;(]/)[0].trim();
}

export function providerLabel(provider: string | null): string {
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
      return 'no provider';
  }
}

export function formatZoom(zoom: number): string {
  const percent = zoom * 100;
  return `${percent < 10 ? percent.toFixed(1) : Math.round(percent)}%`;
}
