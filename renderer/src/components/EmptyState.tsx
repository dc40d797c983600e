import { useEffect, useState } from 'react';
import type { Sample } from '../../../electron/common/contract';
import { api } from '../api/client';
import { baseName, recentFiles, useApp } from '../state/store';
import { Icon } from './Icon';

/** The start screen: drop zone, Open…, recent files and the sample images. */
export function EmptyState({ onOpen }: { onOpen: () => void }) {
  const [samples, setSamples] = useState<Sample[]>([]);
  const recent = useApp(recentFiles);
  const openPaths = useApp((s) => s.openPaths);
  const notify = useApp((s) => s.notify);

  useEffect(() => {
    api.listSamples().then(setSamples, (error) => notify(error, 'Listing sample images'));
  }, [notify]);

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
        {recent.length > 0 && (
          <div className="recent-list">
            <h2>Recent</h2>
            {recent.slice(0, 6).map((path) => (
              <button type="button" key={path} className="recent-item" onClick={() => void openPaths([path])} title={path}>
                <Icon name="file" /> <span>{baseName(path)}</span>
              </button>
            ))}
          </div>
        )}
      </div>
      {samples.length > 0 && (
        <div className="samples">
          <h2>Try a sample</h2>
          <div className="sample-grid">
            {samples.map((sample) => (
              <button type="button" key={sample.path} className="sample" onClick={() => void openPaths([sample.path])} data-testid="sample" title={sample.description}>
                <img className="sample-thumb" src={api.thumbnailUrl(sample.path, 320)} alt="" loading="lazy" />
                <span className="sample-title">{sample.title}</span>
                <span className="sample-desc">{sample.description}</span>
                <span className="sample-credit">{sample.license} · {sample.credit.split('.')[0]}</span>
              </button>
            ))}
          </div>
        </div>
      )}
    </div>
  );
}
