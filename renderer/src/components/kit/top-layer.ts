import { create } from 'zustand';

/**
 * The modal dialogs open right now, newest last. A modal <dialog> sits in
 * the browser's top layer above everything else and makes the rest of the
 * page inert, so messages that must stay visible and clickable (toasts) are
 * rendered inside the newest one.
 */
export const useTopLayer = create<{ modals: HTMLDialogElement[] }>(() => ({ modals: [] }));

export function pushModal(dialog: HTMLDialogElement): void {
  useTopLayer.setState((s) => ({ modals: [...s.modals.filter((d) => d !== dialog), dialog] }));
}

export function popModal(dialog: HTMLDialogElement): void {
  useTopLayer.setState((s) => ({ modals: s.modals.filter((d) => d !== dialog) }));
}
