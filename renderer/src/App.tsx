import { useCallback, useEffect, useRef, useState } from 'react';
import { api } from './api/client';
import { EmptyState } from './components/EmptyState';
import { FileBrowser } from './components/FileBrowser';
import { JobPanel } from './components/JobPanel';
import { BatchDialog } from './components/BatchDialog';
import { ExportDialog } from './components/kit/export/ExportDialog';
import { Toasts } from './components/kit/Toasts';
import { SettingsDialog } from './components/SettingsDialog';
import { SidePanel } from './components/SidePanel';
import { ShortcutsDialog } from './components/ShortcutsDialog';
import { StatusBar } from './components/StatusBar';
import { TopBar } from './components/TopBar';
import { useShortcuts } from './components/use-shortcuts';
import { DetectOverlay } from './detect/DetectOverlay';
import { ColorizeOverlay } from './colorize/ColorizeOverlay';
import { FaceOverlay } from './faces/FaceOverlay';
import { activeImage, useApp } from './state/store';
import { ImageViewer, type ViewerHandle } from './viewer/ImageViewer';

export function App() {
  const init = useApp((s) => s.init);
  const image = useApp(activeImage);
  const jobs = useApp((s) => s.jobs);
  const openFiles = useApp((s) => s.openFiles);
  const openPaths = useApp((s) => s.openPaths);
  const setDialog = useApp((s) => s.setDialog);
  const tool = useApp((s) => s.tool);
  const viewer = useRef<ViewerHandle>(null);
  const [dragging, setDragging] = useState(false);

  useEffect(() => {
    void init();
  }, [init]);

  /** Open… : the native dialog on the desktop, the in-app file browser in a browser. */
  const openDialog = useCallback(async () => {
    if (api.desktop) {
      const paths = await api.desktop.openFileDialog({ multiple: true });
      if (paths.length) await openPaths(paths);
    } else {
      setDialog('fileBrowser', true);
    }
  }, [openPaths, setDialog]);

  useShortcuts({ openDialog, viewer });

  const onDrop = (event: React.DragEvent) => {
    event.preventDefault();
    setDragging(false);
    const files = [...event.dataTransfer.files];
    if (files.length) void openFiles(files);
  };

  const job = image?.pyramid.jobId ? jobs[image.pyramid.jobId] ?? null : null;

  return (
    <div
      className={`app ${dragging ? 'dragging' : ''}`}
      onDragOver={(e) => {
        e.preventDefault();
        e.dataTransfer.dropEffect = 'copy';
        if (!dragging) setDragging(true);
      }}
      onDragLeave={(e) => {
        if (e.currentTarget === e.target || !e.currentTarget.contains(e.relatedTarget as Node)) setDragging(false);
      }}
      onDrop={onDrop}
    >
      <TopBar onOpen={openDialog} />
      <main className="workspace">
        <section className="stage">
          {image ? (
            <ImageViewer ref={viewer} image={image} job={job}>
              {/* Each tool's marks are drawn only while that tool is open. */}
              {tool === 'faces' && <FaceOverlay image={image} />}
              {tool === 'colorize' && <ColorizeOverlay image={image} />}
              {tool === 'detect' && <DetectOverlay image={image} />}
            </ImageViewer>
          ) : (
            <EmptyState onOpen={openDialog} />
          )}
        </section>
        {image && <SidePanel image={image} viewer={viewer} />}
      </main>
      <JobPanel />
      <StatusBar viewer={viewer} />
      <ExportDialog />
      <Toasts />
      <FileBrowser />
      <SettingsDialog />
      <BatchDialog />
      <ShortcutsDialog />
      {dragging && (
        <div className="drop-overlay" aria-hidden>
          <div className="drop-card">Drop images to open them</div>
        </div>
      )}
    </div>
  );
}
