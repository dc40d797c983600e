import { useEffect, useState } from 'react';
import { createPortal } from 'react-dom';
import { useApp, type Toast } from '../../state/store';
import { Icon } from '../Icon';
import { useTopLayer } from './top-layer';

/** How long a toast stays when nobody looks at it; hovering, focusing or opening its details keeps it. */
const LIFETIME_MS = { error: 12_000, success: 6_000, info: 6_000 } as const;

/**
 * Messages in the corner of the stage, clear of the side panel: what went
 * wrong (what to do, details folded) and confirmations. They leave by
 * themselves, and they show above an open modal dialog (inside it, since a
 * modal makes the rest of the page inert).
 */
export function Toasts() {
  const toasts = useApp((s) => s.toasts);
  const dismiss = useApp((s) => s.dismiss);
  const host = useTopLayer((s) => s.modals.at(-1) ?? null);
  const sidePanel = useApp((s) => s.activeImageId !== null);
  if (!toasts.length) return null;
  return createPortal(
    <div className={`toasts${sidePanel && !host ? ' beside-panel' : ''}`} role="region" aria-label="Messages">
      {toasts.map((toast) => (
        <ToastCard key={toast.id} toast={toast} onDismiss={() => dismiss(toast.id)} />
      ))}
    </div>,
    host ?? document.body,
  );
}

function ToastCard({ toast, onDismiss }: { toast: Toast; onDismiss: () => void }) {
  const [details, setDetails] = useState(false);
  const [held, setHeld] = useState(false);
  const { error, context, kind } = toast;
  useEffect(() => {
    if (held || details) return;
    const timer = setTimeout(() => useApp.getState().dismiss(toast.id), LIFETIME_MS[kind]);
    return () => clearTimeout(timer);
  }, [held, details, kind, toast.id]);
  return (
    <div
      className={`toast ${kind}`}
      role={kind === 'error' ? 'alert' : 'status'}
      data-testid={kind === 'error' ? 'error' : 'toast'}
      data-kind={kind}
      data-code={kind === 'error' ? error.code : undefined}
      onMouseEnter={() => setHeld(true)}
      onMouseLeave={() => setHeld(false)}
      onFocus={() => setHeld(true)}
      onBlur={() => setHeld(false)}
    >
      <Icon name={kind === 'error' ? 'alert' : 'check'} size={18} />
      <div className="toast-body">
        {context && <div className="toast-context">{context} failed</div>}
        <div className="toast-message">{error.message}</div>
        {error.hint && <div className="toast-hint">{error.hint}</div>}
        {kind !== 'error' && error.detail && <div className="toast-hint mono">{error.detail}</div>}
        <div className="toast-actions">
          {toast.action && (
            <button type="button" className="link" onClick={() => { toast.action!.run(); onDismiss(); }}>
              {toast.action.label}
            </button>
          )}
          {kind === 'error' && error.detail && (
            <button type="button" className="link" onClick={() => setDetails(!details)}>
              {details ? 'Hide details' : 'Details'}
            </button>
          )}
        </div>
        {details && <pre className="toast-detail">{error.code}: {error.detail}</pre>}
      </div>
      <button type="button" className="icon-button" onClick={onDismiss} aria-label="Dismiss">
        ×
      </button>
    </div>
  );
}
