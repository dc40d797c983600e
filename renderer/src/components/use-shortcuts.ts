import { useEffect, type RefObject } from 'react';
import { api } from '../api/client';
import { useApp } from '../state/store';
import type { ViewerHandle } from '../viewer/ImageViewer';

export const SHORTCUTS: Array<{ keys: string; action: string }> = [
  { keys: 'Ctrl/⌘ O', action: 'Open images' },
  { keys: 'Ctrl/⌘ W', action: 'Close the current image' },
  { keys: 'Ctrl/⌘ Tab', action: 'Next open image' },
  { keys: '+ / −', action: 'Zoom in / out' },
  { keys: '0', action: 'Fit the image to the window' },
  { keys: '1', action: 'Actual pixels (100%)' },
  { keys: 'Arrows, W A S D', action: 'Pan' },
  { keys: 'Ctrl/⌘ ,', action: 'Settings' },
  { keys: 'J', action: 'Show or hide the jobs panel' },
  { keys: 'Esc', action: 'Close dialogs, cancel the newest running job' },
  { keys: '?', action: 'This list' },
];

/** Window-wide keyboard shortcuts (the viewer handles its own arrow keys). */
export function useShortcuts({ openDialog, viewer }: { openDialog: () => void; viewer: RefObject<ViewerHandle | null> }): void {
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const target = event.target as HTMLElement | null;
      if (target && (target.tagName === 'INPUT' || target.tagName === 'SELECT' || target.tagName === 'TEXTAREA')) return;
      const state = useApp.getState();
      const mod = event.ctrlKey || event.metaKey;
      const anyDialog = Object.values(state.dialogs).some(Boolean);
      if (mod && event.key.toLowerCase() === 'o') {
        event.preventDefault();
        openDialog();
      } else if (mod && event.key.toLowerCase() === 'w' && state.activeImageId) {
        event.preventDefault();
        void state.closeImage(state.activeImageId);
      } else if (mod && event.key === 'Tab' && state.images.length > 1) {
        event.preventDefault();
        const index = state.images.findIndex((i) => i.id === state.activeImageId);
        state.activate(state.images[(index + (event.shiftKey ? -1 : 1) + state.images.length) % state.images.length].id);
      } else if (mod && event.key === ',') {
        event.preventDefault();
        state.setDialog('settings', true);
      } else if (event.key === 'Escape') {
        if (anyDialog) {
          for (const name of Object.keys(state.dialogs) as Array<keyof typeof state.dialogs>) state.setDialog(name, false);
        } else {
          const running = Object.values(state.jobs).filter((j) => j.state === 'running' || j.state === 'queued').sort((a, b) => b.createdAt - a.createdAt)[0];
          if (running) void state.cancelJob(running.id, true);
        }
      } else if (anyDialog || mod || event.altKey) {
        return;
      } else if (event.key === '+' || event.key === '=') {
        viewer.current?.zoomBy(1.5);
      } else if (event.key === '-' || event.key === '_') {
        viewer.current?.zoomBy(1 / 1.5);
      } else if (event.key === '0') {
        viewer.current?.fit();
      } else if (event.key === '1') {
        viewer.current?.actualSize();
      } else if (event.key.toLowerCase() === 'j') {
        void state.updateSettings({ ui: { showJobPanel: !(state.settings?.ui.showJobPanel ?? false) } });
      } else if (event.key === '?') {
        state.setDialog('shortcuts', true);
      }
    };
    window.addEventListener('keydown', onKey);
    // The desktop menu sends the same actions the keys trigger.
    const offMenu = api.desktop?.onMenu((action) => {
      const state = useApp.getState();
      const actions: Record<string, () => void> = {
        open: openDialog,
        'close-image': () => state.activeImageId && void state.closeImage(state.activeImageId),
        'zoom-in': () => viewer.current?.zoomBy(1.5),
        'zoom-out': () => viewer.current?.zoomBy(1 / 1.5),
        fit: () => viewer.current?.fit(),
        'actual-size': () => viewer.current?.actualSize(),
        'toggle-jobs': () => void state.updateSettings({ ui: { showJobPanel: !(state.settings?.ui.showJobPanel ?? false) } }),
        settings: () => state.setDialog('settings', true),
        shortcuts: () => state.setDialog('shortcuts', true),
      };
      actions[action]?.();
    });
    return () => {
      window.removeEventListener('keydown', onKey);
      offMenu?.();
    };
  }, [openDialog, viewer]);
}
