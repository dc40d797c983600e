import { Icon } from '../Icon';
import { startExport, useExport, type ExportRequest } from './export/export-store';

export interface ExportChoice {
  key: string;
  label: string;
  testId: string;
  disabled?: boolean;
  title?: string;
  request(): ExportRequest;
}

/** A tool's export buttons and what its last export wrote (kept in view at the panel's foot). */
export function ExportBar({ scope, choices, statusTestId, label = 'Export' }: { scope: string; choices: ExportChoice[]; statusTestId: string; label?: string }) {
  const last = useExport((s) => s.last[scope]);
  return (
    <div className="export-bar">
      <div className="export-buttons">
        <span className="export-label">
          <Icon name="download" /> {label}
        </span>
        {choices.map((c) => (
          <button key={c.key} type="button" className="button small" onClick={() => void startExport(c.request())} data-testid={c.testId} disabled={c.disabled} title={c.title}>
            {c.label}
          </button>
        ))}
      </div>
      {last && (
        <p className="export-status" data-testid={statusTestId} title={last.path}>
          <Icon name="check" /> {last.how === 'downloaded' ? `Downloaded ${last.name}` : `Saved ${last.summary ? `${last.summary} to ` : ''}${last.path}`}
        </p>
      )}
    </div>
  );
}
