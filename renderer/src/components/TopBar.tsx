import { useEffect, useRef, useState, type RefObject } from 'react';
import { baseName, recentFiles, useApp } from '../state/store';
import type { ViewerHandle } from '../viewer/ImageViewer';
import { Icon } from './Icon';

export function TopBar({ onOpen, viewer }: { onOpen: () => void; viewer: RefObject<ViewerHandle | null> }) {
  const images = useApp((s) => s.images);
  const activeId = useApp((s) => s.activeImageId);
  const activate = useApp((s) => s.activate);
  const closeImage = useApp((s) => s.closeImage);
  const setDialog = useApp((s) => s.setDialog);
  const zoom = useApp((s) => s.view.zoom);

  return (
    <header className="topbar">
      <div className="brand">
        <img src="./icon.svg" alt="" width={22} height={22} />
        <span>Iriscope</span>
      </div>
      <div className="toolbar-group">
        <button type="button" className="button primary" onClick={onOpen} title="Open images (Ctrl+O)" data-testid="open-button">
          <Icon name="open" /> Open…
        </button>
        <RecentMenu />
      </div>
      <nav className="tabs" aria-label="Open images">
        {images.map((image) => (
          <div key={image.id} className={`tab ${image.id === activeId ? 'active' : ''}`} data-testid="image-tab">
            <button type="button" className="tab-label" onClick={() => activate(image.id)} title={image.path}>
              {image.pyramid.state === 'building' && <span className="dot busy" />}
              {image.pyramid.state === 'failed' && <span className="dot failed" />}
              {image.name}
            </button>
            <button type="button" className="tab-close" aria-label={`Close ${image.name}`} onClick={() => void closeImage(image.id)}>
              ×
            </button>
          </div>
        ))}
      </nav>
      {activeId && (
        <div className="toolbar-group zoom-group">
          <button type="button" className="icon-button" onClick={() => viewer.current?.zoomBy(1 / 1.5)} title="Zoom out (−)" aria-label="Zoom out">
            <Icon name="minus" />
          </button>
          <span className="zoom-readout" data-testid="zoom-readout">{formatZoom(zoom)}</span>
          <button type="button" className="icon-button" onClick={() => viewer.current?.zoomBy(1.5)} title="Zoom in (+)" aria-label="Zoom in">
            <Icon name="plus" />
          </button>
          <button type="button" className="icon-button" onClick={() => viewer.current?.fit()} title="Fit to window (0)" aria-label="Fit">
            <Icon name="fit" />
          </button>
          <button type="button" className="icon-button" onClick={() => viewer.current?.actualSize()} title="Actual pixels (1)" aria-label="Actual pixels">
            1:1
          </button>
        </div>
      )}
      <div className="toolbar-group end">
        <button type="button" className="icon-button" onClick={() => setDialog('batch', true)} title="Batch runs on a queue" aria-label="Batch runs" data-testid="batch-button">
          <Icon name="jobs" />
        </button>
        <button type="button" className="icon-button" onClick={() => setDialog('shortcuts', true)} title="Keyboard shortcuts (?)" aria-label="Keyboard shortcuts">
          <Icon name="keyboard" />
        </button>
        <button type="button" className="icon-button" onClick={() => setDialog('settings', true)} title="Settings (Ctrl+,)" aria-label="Settings" data-testid="settings-button">
          <Icon name="settings" />
        </button>
      </div>
    </header>
  );
}

function RecentMenu() {
  const recent = useApp(recentFiles);
  const openPaths = useApp((s) => s.openPaths);
  const [open, setOpen] = useState(false);
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!open) return;
    const close = (e: MouseEvent) => {
      if (!ref.current?.contains(e.target as Node)) setOpen(false);
    };
    window.addEventListener('mousedown', close);
    return () => window.removeEventListener('mousedown', close);
  }, [open]);
  return (
    <div className="menu" ref={ref}>
      <button type="button" className="button" onClick={() => setOpen(!open)} disabled={!recent.length} aria-expanded={open}>
        Recent <Icon name="chevron" />
      </button>
      {open && (
        <div className="menu-list" role="menu">
          {recent.map((path) => (
            <button
              type="button"
              role="menuitem"
              key={path}
              className="menu-item"
              title={path}
              onClick={() => {
                setOpen(false);
                void openPaths([path]);
              }}
            >
              <span>{baseName(path)}</span>
              <span className="muted small">{path.slice(0, -baseName(path).length)}</span>
            </button>
          ))}
        </div>
      )}
    </div>
  );
}

export function formatZoom(zoom: number): string {
  const percent = zoom * 100;
  return `${percent < 10 ? percent.toFixed(1) : Math.round(percent)}%`;
}
