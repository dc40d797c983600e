import { useCallback, useEffect, useRef, useState } from 'react';
import type { DirectoryListing } from '../../../electron/common/contract';
import { api } from '../api/client';
import { recentFiles, useApp } from '../state/store';
import { Dialog } from './Dialog';
import { Icon } from './Icon';
import { formatBytes } from './Inspector';

/**
 * "Open…" when Iriscope runs in a browser (`iriscope serve`): a file browser
 * over the engine machine's disks, since a web page cannot see file paths.
 */
export function FileBrowser() {
  const open = useApp((s) => s.dialogs.fileBrowser);
  const setDialog = useApp((s) => s.setDialog);
  const openPaths = useApp((s) => s.openPaths);
  const recent = useApp(recentFiles);
  const [listing, setListing] = useState<DirectoryListing | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [typed, setTyped] = useState('');
  const [selected, setSelected] = useState<string[]>([]);

  // Only the latest listing request may land (a slow first listing must not
  // replace the folder the user asked for since), and a listing never
  // overwrites a path typed after it was requested.
  const latest = useRef(0);
  const editedAt = useRef(0);
  const go = useCallback(async (path?: string) => {
    const request = ++latest.current;
    try {
      const next = await api.listDirectory({ path, imagesOnly: true });
      if (request !== latest.current) return;
      setListing(next);
      if (editedAt.current < request) setTyped(next.path);
      setSelected([]);
      setError(null);
    } catch (e) {
      if (request === latest.current) setError((e as Error).message);
    }
  }, []);

  useEffect(() => {
    if (open && !listing) {
      const start = recent[0] ? recent[0].replace(/[\\/][^\\/]*$/, '') : undefined;
      void go(start);
    }
  }, [open, listing, recent, go]);

  const close = () => setDialog('fileBrowser', false);
  const confirm = async (paths: string[]) => {
    if (!paths.length) return;
    close();
    await openPaths(paths);
  };

  return (
    <Dialog open={open} title="Open images" onClose={close} wide testId="file-browser">
      <div className="browser">
        <aside className="browser-places">
          {listing?.places.map((place) => (
            <button type="button" key={place.path} className="place" onClick={() => void go(place.path)} title={place.path}>
              <Icon name="folder" /> {place.name}
            </button>
          ))}
        </aside>
        <div className="browser-main">
          <form
            className="browser-path"
            onSubmit={(e) => {
              e.preventDefault();
              void go(typed);
            }}
          >
            <button type="button" className="icon-button" disabled={!listing?.parent} onClick={() => listing?.parent && void go(listing.parent)} aria-label="Up">
              <Icon name="up" />
            </button>
            <input value={typed} onChange={(e) => {
                editedAt.current = latest.current;
                setTyped(e.target.value);
              }}
              aria-label="Folder path" data-testid="path-input" spellCheck={false} />
            <button type="submit" className="button">Go</button>
          </form>
          {error && <div className="inline-error" role="alert">{error}</div>}
          <ul className="browser-list" role="listbox" aria-multiselectable>
            {listing?.entries.map((entry) => (
              <li key={entry.path}>
                <button
                  type="button"
                  className={`entry ${selected.includes(entry.path) ? 'selected' : ''}`}
                  data-testid="browser-entry"
                  onClick={(e) => {
                    if (entry.kind === 'dir') return void go(entry.path);
                    setSelected(e.ctrlKey || e.metaKey ? (selected.includes(entry.path) ? selected.filter((p) => p !== entry.path) : [...selected, entry.path]) : [entry.path]);
                  }}
                  onDoubleClick={() => entry.kind === 'file' && void confirm([entry.path])}
                >
                  <Icon name={entry.kind === 'dir' ? 'folder' : 'image'} />
                  <span className="entry-name">{entry.name}</span>
                  <span className="muted small">{entry.bytes !== null ? formatBytes(entry.bytes) : ''}</span>
                </button>
              </li>
            ))}
            {listing && !listing.entries.length && <li className="muted empty-note">No images or folders here.</li>}
          </ul>
          <footer className="browser-footer">
            <span className="muted small">{selected.length ? `${selected.length} selected` : 'Double-click an image, or select several with Ctrl'}</span>
            <button type="button" className="button" onClick={close}>Cancel</button>
            <button type="button" className="button primary" disabled={!selected.length} onClick={() => void confirm(selected)} data-testid="browser-open">
              Open
            </button>
          </footer>
        </div>
      </div>
    </Dialog>
  );
}
