import type { ReactNode } from 'react';
import { Icon } from '../Icon';
import './kit.css';

/**
 * The parts every tool panel is made of, so Colorize, Faces and Detect look
 * and behave alike: the panel, its head (the run button and a result count),
 * titled sections, notes (intro, hints, warnings) and the footer with exports
 * and run facts.
 */
export function ToolPanel({ testId, children }: { testId: string; children: ReactNode }) {
  return (
    <div className="tool-panel" data-testid={testId}>
      {children}
    </div>
  );
}

export function PanelHead({ action, count, countTestId }: { action: ReactNode; count?: string | null; countTestId?: string }) {
  return (
    <div className="panel-head">
      {action}
      {count && (
        <span className="panel-count" data-testid={countTestId}>
          {count}
        </span>
      )}
    </div>
  );
}

export function PanelSection({ title, children, aside, testId }: { title?: string; children: ReactNode; aside?: ReactNode; testId?: string }) {
  return (
    <section className="panel-section" data-testid={testId}>
      {(title || aside) && (
        <header className="panel-section-title">
          {title && <h4>{title}</h4>}
          {aside}
        </header>
      )}
      {children}
    </section>
  );
}

/** Intro text, a hint for this image (e.g. "this is a colour photo") or a warning. */
export function PanelNote({ kind = 'plain', children, testId }: { kind?: 'plain' | 'hint' | 'warn'; children: ReactNode; testId?: string }) {
  return (
    <div className={`panel-note ${kind}`} data-testid={testId} role={kind === 'warn' ? 'note' : undefined}>
      {kind !== 'plain' && <Icon name={kind === 'warn' ? 'alert' : 'info'} size={15} />}
      <div>{children}</div>
    </div>
  );
}

export function PanelFooter({ children }: { children: ReactNode }) {
  return <div className="panel-footer">{children}</div>;
}

/** The "n things" count of a head. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString()} ${n === 1 ? one : many}`;
}
