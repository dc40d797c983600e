import { useState } from 'react';
import type { Notice } from '../state/store';
import { useApp } from '../state/store';
import { Icon } from './Icon';

/** Error messages as dismissible cards: what happened, what to do, details folded. */
export function Notices() {
  const notices = useApp((s) => s.notices);
  const dismiss = useApp((s) => s.dismiss);
  if (!notices.length) return null;
  return (
    <div className="notices" role="region" aria-label="Messages">
      {notices.map((notice) => (
        <NoticeCard key={notice.id} notice={notice} onDismiss={() => dismiss(notice.id)} />
      ))}
    </div>
  );
}

function NoticeCard({ notice, onDismiss }: { notice: Notice; onDismiss: () => void }) {
  const [details, setDetails] = useState(false);
  const { error, context } = notice;
  return (
    <div className="notice" role="alert" data-testid="error" data-code={error.code}>
      <Icon name="alert" size={18} />
      <div className="notice-body">
        {context && <div className="notice-context">{context} failed</div>}
        <div className="notice-message">{error.message}</div>
        {error.hint && <div className="notice-hint">{error.hint}</div>}
        {error.detail && (
          <button type="button" className="link" onClick={() => setDetails(!details)}>
            {details ? 'Hide details' : 'Details'}
          </button>
        )}
        {details && <pre className="notice-detail">{error.code}: {error.detail}</pre>}
      </div>
      <button type="button" className="icon-button" onClick={onDismiss} aria-label="Dismiss">
        ×
      </button>
    </div>
  );
}
