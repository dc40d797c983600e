import { useEffect, useState } from 'react';
import { toErrorInfo } from '../../../../../electron/common/errors';
import { api } from '../../../api/client';
import { useApp } from '../../../state/store';
import { Dialog } from '../../Dialog';
import { Icon } from '../../Icon';
import { formatBytes } from '../../Inspector';
import { PathBar, PlacesList, useFolderListing } from '../folder-listing';
import { closeExportDialog, defaultExportFolder, download, saveTo, useExport, type ExportRequest } from './export-store';
import { dirName, fileName, joinPath } from './paths';

/**
 * Export in a browser (`iriscope serve`), where a page has no Save dialog:
 * a folder of the engine's machine (starting in the last export folder, or
 * Pictures), a name, a new folder, and Download to get the file in the
 * browser instead. A folder that does not exist yet is created; a file that
 * exists is replaced only after asking.
 */
export function ExportDialog() {
  const request = useExport((s) => s.request);
  return request ? <ExportForm key={request.scope + request.fileName} request={request} /> : null;
}

function ExportForm({ request }: { request: ExportRequest }) {
  const { listing, error, typed, setTyped, touch, go, clearError } = useFolderListing(false);
  const notify = useApp((s) => s.notify);
  const busy = useExport((s) => s.busy);
  const [name, setName] = useState(request.fileName);
  const [confirmReplace, setConfirmReplace] = useState(false);
  const [newFolder, setNewFolder] = useState<string | null>(null);

  useEffect(() => {
    const start = defaultExportFolder();
    void go(start ?? undefined).then((l) => {
      // Pictures may have been removed since it was remembered: fall back to home.
      if (!l && start) setTyped(start);
    });
  }, [go, setTyped]);

  // The folder is what is typed; a folder that does not exist (yet) is created on save.
  const folder = typed.trim();
  // "Replace?" is about one file in one folder: another folder or name asks again.
  useEffect(() => setConfirmReplace(false), [folder, name]);
  const missing = error?.code === 'FILE_NOT_FOUND';
  const exists = !missing && listing?.path === folder && listing.entries.some((e) => e.kind === 'file' && e.name === name.trim());
  const target = () => {
    const n = name.trim();
    // A name typed with a folder in it wins over the folder field.
    return /[\\/]/.test(n) ? n : joinPath(folder, n);
  };

  const submitPath = async (path: string) => {
    const next = await go(path);
    if (next?.file) {
      setName(fileName(next.file));
      setTyped(next.path);
    }
  };

  const save = async (replace = false) => {
    const path = target();
    if (exists && !replace) return setConfirmReplace(true);
    setConfirmReplace(false);
    try {
      await api.makeDirectory({ path: dirName(path) });
      await saveTo(request, path, replace);
      closeExportDialog();
    } catch (e) {
      // The file appeared since the folder was listed: ask, as for one listed.
      if (toErrorInfo(e).code === 'OUTPUT_EXISTS' && !replace) setConfirmReplace(true);
      else notify(e, request.context);
      void go(dirName(path));
    }
  };

  const downloadIt = async () => {
    try {
      await download(request, fileName(name.trim()));
      closeExportDialog();
    } catch (e) {
      notify(e, request.context);
    }
  };

  const createFolder = async () => {
    if (!newFolder?.trim()) return;
    try {
      const made = await api.makeDirectory({ path: joinPath(folder, newFolder.trim()) });
      setNewFolder(null);
      await go(made.path);
    } catch (e) {
      notify(e, 'Creating the folder');
    }
  };

  return (
    <Dialog
      open
      title={request.title}
      onClose={closeExportDialog}
      wide
      testId="export-dialog"
      footer={
        <>
          {confirmReplace ? (
            <div className="export-replace" role="alertdialog" aria-label="Replace the file?" data-testid="export-replace">
              <Icon name="alert" />
              <span>
                <strong>{name.trim()}</strong> already exists in this folder. Replace it?
              </span>
              <button type="button" className="button" onClick={() => setConfirmReplace(false)}>
                Keep it
              </button>
              <button type="button" className="button danger" onClick={() => void save(true)} data-testid="export-replace-confirm">
                Replace
              </button>
            </div>
          ) : (
            <>
              <span className="muted small export-where">{folder ? `Written on the engine's computer, in ${folder}` : ''}</span>
              <button type="button" className="button subtle" onClick={closeExportDialog}>
                Cancel
              </button>
              <button type="button" className="button" onClick={() => void downloadIt()} disabled={busy || !name.trim()} data-testid="export-download" title="Save it through this browser instead (its Downloads folder)">
                <Icon name="download" /> Download
              </button>
              <button type="button" className="button primary" onClick={() => void save()} disabled={busy || !name.trim() || !folder} data-testid="export-save">
                {busy ? 'Saving…' : 'Save'}
              </button>
            </>
          )}
        </>
      }
    >
      <div className="browser export-browser">
        <PlacesList listing={listing} onGo={(p) => void go(p)} />
        <div className="browser-main">
          <PathBar listing={listing} typed={typed} setTyped={(v) => { setTyped(v); clearError(); }} touch={touch} onSubmit={(p) => void submitPath(p)} onGo={(p) => void go(p)} label="Folder" testId="export-folder">
            <button type="button" className="button" onClick={() => setNewFolder('')} data-testid="export-new-folder" title="New folder">
              <Icon name="folder-plus" /> New folder
            </button>
          </PathBar>
          {newFolder !== null && (
            <form
              className="new-folder-row"
              onSubmit={(e) => {
                e.preventDefault();
                void createFolder();
              }}
            >
              <Icon name="folder-plus" />
              <input value={newFolder} onChange={(e) => setNewFolder(e.target.value)} placeholder="Name of the new folder" aria-label="New folder name" data-testid="export-new-folder-name" autoFocus spellCheck={false} />
              <button type="submit" className="button primary small" disabled={!newFolder.trim()} data-testid="export-new-folder-create">
                Create
              </button>
              <button type="button" className="button subtle small" onClick={() => setNewFolder(null)}>
                Cancel
              </button>
            </form>
          )}
          {missing ? (
            <div className="browser-list missing-folder" data-testid="export-missing">
              <Icon name="folder-plus" size={22} />
              <p>This folder does not exist yet. Save creates it.</p>
            </div>
          ) : error ? (
            <div className="inline-error" role="alert">
              {error.message}
            </div>
          ) : (
            <ul className="browser-list" aria-label="Folder contents">
              {listing?.entries.map((entry) => (
                <li key={entry.path}>
                  <button
                    type="button"
                    className={`entry ${entry.kind}${entry.name === name.trim() ? ' selected' : ''}`}
                    data-testid="export-entry"
                    onClick={() => (entry.kind === 'dir' ? void go(entry.path) : setName(entry.name))}
                  >
                    <Icon name={entry.kind === 'dir' ? 'folder' : entry.isImage ? 'image' : 'file'} />
                    <span className="entry-name">{entry.name}</span>
                    <span className="muted small">{entry.bytes !== null ? formatBytes(entry.bytes) : ''}</span>
                  </button>
                </li>
              ))}
              {listing && !listing.entries.length && <li className="muted empty-note">An empty folder.</li>}
            </ul>
          )}
          <label className="export-name">
            <span>File name</span>
            <input value={name} onChange={(e) => { setName(e.target.value); setConfirmReplace(false); }} data-testid="export-name" spellCheck={false} autoFocus />
          </label>
          {request.note && <p className="muted small export-note">{request.note}</p>}
        </div>
      </div>
    </Dialog>
  );
}
