import { useEffect, useState } from 'react';
import { recentFiles, useApp } from '../state/store';
import { Dialog } from './Dialog';
import { Icon } from './Icon';
import { formatBytes } from './Inspector';
import { PathBar, PlacesList, useFolderListing } from './kit/folder-listing';

/**
 * "Open…" when Iriscope runs in a browser (`iriscope serve`): a file browser
 * over the engine machine's disks, since a web page cannot see file paths.
 * Typing the path of a file opens it; "All files" shows what is not an image
 * too (opening one says clearly why it cannot be read).
 */
export function FileBrowser() {
  const open = useApp((s) => s.dialogs.fileBrowser);
  return open ? <FileBrowserForm /> : null;
}

function FileBrowserForm() {
  const setDialog = useApp((s) => s.setDialog);
  const openPaths = useApp((s) => s.openPaths);
  const recent = useApp(recentFiles);
  const [filter, setFilter] = useState<'images' | 'all'>('images');
  const { listing, error, typed, setTyped, touch, go } = useFolderListing(filter === 'images');
  const [selected, setSelected] = useState<string[]>([]);

  useEffect(() => {
    const start = recent[0] ? recent[0].replace(/[\\/][^\\/]*$/, '') : undefined;
    void go(start);
    // Only when the dialog opens: later listings follow the user.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  const close = () => setDialog('fileBrowser', false);
  const confirm = async (paths: string[]) => {
    if (!paths.length) return;
    close();
    await openPaths(paths);
  };
  const goTo = async (path?: string) => {
    setSelected([]);
    const next = await go(path);
    // A typed path that names a file opens it (its folder is listed behind the dialog for next time).
    if (next?.file) await confirm([next.file]);
  };

  return (
    <Dialog open title="Open images" onClose={close} wide testId="file-browser">
      <div className="browser">
        <PlacesList listing={listing} onGo={(p) => void goTo(p)} />
        <div className="browser-main">
          <PathBar listing={listing} typed={typed} setTyped={setTyped} touch={touch} onSubmit={(p) => void goTo(p)} onGo={(p) => void goTo(p)} label="Folder or file path" testId="path-input">
            <select
              className="browser-filter"
              value={filter}
              onChange={(e) => {
                setFilter(e.target.value as 'images' | 'all');
                // Re-list with the new filter.
                void go(listing?.path, { imagesOnly: e.target.value === 'images' });
              }}
              aria-label="Show"
              data-testid="browser-filter"
            >
              <option value="images">Images</option>
              <option value="all">All files</option>
            </select>
          </PathBar>
          {error && <div className="inline-error" role="alert">{error.message}{error.hint ? ` ${error.hint}` : ''}</div>}
          <ul className="browser-list" role="listbox" aria-multiselectable aria-label="Folder contents">
            {listing?.entries.map((entry) => (
              <li key={entry.path} role="presentation">
                <button
                  type="button"
                  role="option"
                  aria-selected={selected.includes(entry.path)}
                  className={`entry ${entry.kind}${entry.isImage || entry.kind === 'dir' ? '' : ' other'} ${selected.includes(entry.path) ? 'selected' : ''}`}
                  data-testid="browser-entry"
                  onClick={(e) => {
                    if (entry.kind === 'dir') return void goTo(entry.path);
                    setSelected(e.ctrlKey || e.metaKey ? (selected.includes(entry.path) ? selected.filter((p) => p !== entry.path) : [...selected, entry.path]) : [entry.path]);
                  }}
                  onDoubleClick={() => entry.kind === 'file' && void confirm([entry.path])}
                >
                  <Icon name={entry.kind === 'dir' ? 'folder' : entry.isImage ? 'image' : 'file'} />
                  <span className="entry-name">{entry.name}</span>
                  <span className="muted small">{entry.bytes !== null ? formatBytes(entry.bytes) : ''}</span>
                </button>
              </li>
            ))}
            {listing && !listing.entries.length && <li className="muted empty-note">{filter === 'images' ? 'No images or folders here. Choose “All files” to see everything.' : 'An empty folder.'}</li>}
          </ul>
          <footer className="browser-footer">
            <span className="muted small">{selected.length ? `${selected.length} selected` : 'Double-click an image, select several with Ctrl, or type a file’s path'}</span>
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
