import type { Sample } from '../../../electron/common/contract';
import { api } from '../api/client';
import { baseName, recentFiles, useApp, type ToolId } from '../state/store';
import { Icon } from './Icon';

const TOOLS: Record<Exclude<ToolId, 'image'>, { label: string; what: string }> = {
  colorize: { label: 'Colorize', what: 'black-and-white photos' },
  faces: { label: 'Faces', what: 'photos of people' },
  detect: { label: 'Detect', what: 'aerial images seen from above' },
};

/** The tool a sample is meant for (its first use other than viewing). */
export function sampleTool(sample: Sample): Exclude<ToolId, 'image'> | null {
  return (sample.use.find((u) => u !== 'view') as Exclude<ToolId, 'image'> | undefined) ?? null;
}

/** The start screen: drop zone, Open…, recent files, and the samples with the tool each suits. */
export function EmptyState({ onOpen }: { onOpen: () => void }) {
  const samples = useApp((s) => s.samples);
  const recent = useApp(recentFiles);
  const openPaths = useApp((s) => s.openPaths);
  const setTool = useApp((s) => s.setTool);

  /** Opens a sample in the tool it is meant for. */
  const openSample = async (sample: Sample) => {
    const tool = sampleTool(sample);
    await openPaths([sample.path]);
    if (tool) setTool(tool);
  };

  return (
    <div className="empty" data-testid="empty-state">
      <div className="empty-hero">
        <div className="drop-target">
          <Icon name="image" size={40} />
          <h1>Drop images here</h1>
          <p className="muted">JPEG, PNG, WebP, TIFF and GeoTIFF — from snapshots to 20,000 px aerial scenes.</p>
          <button type="button" className="button primary large" onClick={onOpen}>
            <Icon name="open" /> Open…
          </button>
          <p className="muted small">or press Ctrl+O</p>
        </div>
        <div className="tool-guide" aria-label="What each tool is for">
          <h2>Three tools</h2>
          {Object.entries(TOOLS).map(([id, t]) => (
            <div key={id} className="tool-guide-row">
              <span className={`tool-badge ${id}`}>{t.label}</span>
              <span className="muted">{t.what}</span>
            </div>
          ))}
          {recent.length > 0 && (
            <div className="recent-list">
              <h2>Recent</h2>
              {recent.slice(0, 5).map((path) => (
                <button type="button" key={path} className="recent-item" onClick={() => void openPaths([path])} title={path}>
                  <Icon name="file" /> <span>{baseName(path)}</span>
                </button>
              ))}
            </div>
          )}
        </div>
      </div>
      {samples.length > 0 && (
        <div className="samples">
          <h2>Try a sample <span className="muted">— each opens in the tool it suits</span></h2>
          <div className="sample-grid">
            {samples.map((sample) => {
              const tool = sampleTool(sample);
              return (
                <button type="button" key={sample.path} className="sample" onClick={() => void openSample(sample)} data-testid="sample" data-tool={tool ?? ''} title={sample.description}>
                  <span className="sample-thumb-box">
                    <img className="sample-thumb" src={api.thumbnailUrl(sample.path, 320)} alt="" loading="lazy" />
                    {tool && <span className={`tool-badge ${tool}`}>{TOOLS[tool].label}</span>}
                  </span>
                  <span className="sample-title">{sample.title}</span>
                  <span className="sample-desc">{sample.description}</span>
                  <span className="sample-credit">{sample.license} · {sample.credit.split(/[.(:]/)[0]}</span>
                </button>
              );
            })}
          </div>
        </div>
      )}
    </div>
  );
}
