import { useEffect, useRef, type ReactNode } from 'react';
import { popModal, pushModal } from './kit/top-layer';

/** A modal dialog on the native <dialog> element (focus trap, Esc, backdrop); role "dialog" with its title as name. */
export function Dialog({ open, title, onClose, children, wide, testId, footer }: { open: boolean; title: string; onClose: () => void; children: ReactNode; wide?: boolean; testId?: string; footer?: ReactNode }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) {
      dialog.showModal();
      pushModal(dialog);
    }
    if (!open && dialog.open) dialog.close();
    if (!open) popModal(dialog);
  }, [open]);
  useEffect(() => {
    const dialog = ref.current;
    return () => {
      if (dialog) popModal(dialog);
    };
  }, []);
  const titleId = testId ? `${testId}-title` : undefined;
  return (
    <dialog ref={ref} className={`dialog ${wide ? 'wide' : ''}`} onClose={onClose} onCancel={onClose} data-testid={testId} aria-labelledby={titleId}>
      {open && (
        <>
          <header className="dialog-header">
            <h2 id={titleId}>{title}</h2>
            <button type="button" className="icon-button" onClick={onClose} aria-label="Close">
              ×
            </button>
          </header>
          <div className="dialog-body">{children}</div>
          {footer && <footer className="dialog-footer">{footer}</footer>}
        </>
      )}
    </dialog>
  );
}
