import { useEffect, useRef, useState } from 'react';
import type { ImageInfo } from '../../../electron/common/contract';
import { baseName, recentFiles, useApp } from '../state/store';
import { Icon } from './Icon';

export function TopBar({ onOpen }: { onOpen: () => void }) {
  const setDialog = useApp((s) => s.setDialog);
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
      <ImageTabs />
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

/**
 * The open images as a tab list. However many are open, the active tab is
 * scrolled into view, the strip scrolls sideways (wheel or arrows), and a
 * menu lists them all.
 */
function ImageTabs() {
  const images = useApp((s) => s.images);
  const activeId = useApp((s) => s.activeImageId);
  const activate = useApp((s) => s.activate);
  const strip = useRef<HTMLDivElement>(null);
  const [overflow, setOverflow] = useState({ left: false, right: false });

  const measure = () => {
    const el = strip.current;
    if (!el) return;
    setOverflow({ left: el.scrollLeft > 1, right: el.scrollLeft + el.clientWidth < el.scrollWidth - 1 });
  };

  useEffect(() => {
    const el = strip.current;
    if (!el) return;
    const observer = new ResizeObserver(measure);
    observer.observe(el);
    return () => observer.disconnect();
  }, []);

  useEffect(() => {
    const tab = strip.current?.querySelector<HTMLElement>('[role=tab][aria-selected=true]');
    tab?.scrollIntoView({ block: 'nearest', inline: 'nearest' });
    measure();
  }, [activeId, images.length]);

  const step = (direction: number) => {
    const index = images.findIndex((i) => i.id === activeId);
    const next = images[(index + direction + images.length) % images.length];
    if (next) activate(next.id);
  };

  if (!images.length) return <div className="tabs-area" />;
  return (
    <div className="tabs-area">
      {overflow.left && (
        <button type="button" className="icon-button tabs-scroll" onClick={() => strip.current?.scrollBy({ left: -240, behavior: 'smooth' })} aria-label="Scroll the tabs left" tabIndex={-1}>
          <Icon name="chevron-left" size={14} />
        </button>
      )}
      <div
        ref={strip}
        className={`tabs${overflow.left ? ' more-left' : ''}${overflow.right ? ' more-right' : ''}`}
        role="tablist"
        aria-label="Open images"
        onScroll={measure}
        onWheel={(e) => {
          if (e.deltaY && strip.current) strip.current.scrollLeft += e.deltaY;
        }}
        onKeyDown={(e) => {
          if (e.key === 'ArrowRight' || e.key === 'ArrowLeft') {
            e.preventDefault();
            step(e.key === 'ArrowRight' ? 1 : -1);
            requestAnimationFrame(() => strip.current?.querySelector<HTMLElement>('[role=tab][aria-selected=true]')?.focus());
          }
        }}
      >
        {images.map((image) => (
          <ImageTab key={image.id} image={image} active={image.id === activeId} />
        ))}
      </div>
      {overflow.right && (
        <button type="button" className="icon-button tabs-scroll" onClick={() => strip.current?.scrollBy({ left: 240, behavior: 'smooth' })} aria-label="Scroll the tabs right" tabIndex={-1}>
          <Icon name="chevron-right" size={14} />
        </button>
      )}
      {images.length > 1 && <AllImagesMenu />}
    </div>
  );
}

function ImageTab({ image, active }: { image: ImageInfo; active: boolean }) {
  const activate = useApp((s) => s.activate);
  const closeImage = useApp((s) => s.closeImage);
  return (
    <div className={`tab ${active ? 'active' : ''}`} data-testid="image-tab" data-active={active}>
      <button
        type="button"
        role="tab"
        aria-selected={active}
        tabIndex={active ? 0 : -1}
        className="tab-label"
        onClick={() => activate(image.id)}
        onAuxClick={(e) => {
          if (e.button === 1) void closeImage(image.id);
        }}
        title={image.path}
      >
        {image.pyramid.state === 'building' && <span className="dot busy" />}
        {image.pyramid.state === 'failed' && <span className="dot failed" />}
        <span className="tab-name">{image.name}</span>
      </button>
      <button type="button" className="tab-close" aria-label={`Close ${image.name}`} title="Close (Ctrl+W)" onClick={() => void closeImage(image.id)} tabIndex={-1}>
        ×
      </button>
    </div>
  );
}

/** Every open image by name, for when the tabs do not fit. */
function AllImagesMenu() {
  const images = useApp((s) => s.images);
  const activeId = useApp((s) => s.activeImageId);
  const activate = useApp((s) => s.activate);
  const { open, setOpen, ref } = useMenu();
  return (
    <div className="menu tabs-menu" ref={ref}>
      <button type="button" className="button subtle small" onClick={() => setOpen(!open)} aria-expanded={open} aria-haspopup="menu" title="All open images" data-testid="tabs-menu">
        {images.length} <Icon name="chevron" size={13} />
      </button>
      {open && (
        <div className="menu-list right" role="menu" aria-label="All open images">
          {images.map((image) => (
            <button
              type="button"
              role="menuitemradio"
              aria-checked={image.id === activeId}
              key={image.id}
              className={`menu-item row${image.id === activeId ? ' current' : ''}`}
              onClick={() => {
                setOpen(false);
                activate(image.id);
              }}
            >
              <Icon name={image.id === activeId ? 'check' : 'image'} size={14} />
              <span>{image.name}</span>
            </button>
          ))}
        </div>
      )}
    </div>
  );
}

function useMenu() {
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
  return { open, setOpen, ref };
}

function RecentMenu() {
  const recent = useApp(recentFiles);
  const openPaths = useApp((s) => s.openPaths);
  const { open, setOpen, ref } = useMenu();
  return (
    <div className="menu" ref={ref}>
      <button type="button" className="button icon-only" onClick={() => setOpen(!open)} disabled={!recent.length} aria-expanded={open} aria-label="Recent files" title="Recent files">
        <Icon name="clock" /> <Icon name="chevron" size={13} />
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
