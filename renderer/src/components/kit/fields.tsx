import { useId, type ReactNode } from 'react';

/** A small "?" that explains a term on hover or keyboard focus (the jargon stays, with its meaning beside it). */
export function HelpTip({ text }: { text: string }) {
  return (
    <span className="help-tip" tabIndex={0} role="img" aria-label={text} data-tip={text}>
      ?
    </span>
  );
}

/** Label column of a field: the name, and its help when it has one. */
function FieldLabel({ label, help, htmlFor }: { label: ReactNode; help?: string; htmlFor?: string }) {
  return (
    <span className="field-label">
      {htmlFor ? <label htmlFor={htmlFor}>{label}</label> : label}
      {help && <HelpTip text={help} />}
    </span>
  );
}

/** A labelled slider with its value; every tool's numeric settings use it. */
export function SliderField({ label, help, min, max, step, value, onChange, digits = 2, format, testId, disabled }: {
  label: ReactNode;
  help?: string;
  min: number;
  max: number;
  step: number;
  value: number;
  onChange(value: number): void;
  digits?: number;
  format?: (value: number) => string;
  testId?: string;
  disabled?: boolean;
}) {
  const id = useId();
  return (
    <div className="field slider-field">
      <FieldLabel label={label} help={help} htmlFor={id} />
      <input id={id} type="range" min={min} max={max} step={step} value={value} onChange={(e) => onChange(Number(e.target.value))} data-testid={testId} disabled={disabled} />
      <span className="field-value mono">{format ? format(value) : value.toFixed(digits)}</span>
    </div>
  );
}

export function SelectField<T extends string>({ label, help, value, options, onChange, testId, disabled }: {
  label: ReactNode;
  help?: string;
  value: T;
  options: Array<{ value: T; label: string; disabled?: boolean; title?: string }>;
  onChange(value: T): void;
  testId?: string;
  disabled?: boolean;
}) {
  const id = useId();
  return (
    <div className="field select-field">
      <FieldLabel label={label} help={help} htmlFor={id} />
      <select id={id} value={value} onChange={(e) => onChange(e.target.value as T)} data-testid={testId} disabled={disabled}>
        {options.map((o) => (
          <option key={o.value} value={o.value} disabled={o.disabled} title={o.title}>
            {o.label}
          </option>
        ))}
      </select>
    </div>
  );
}

/** A choice of a few modes as a radio group of buttons. */
export function Segmented<T extends string>({ label, value, options, onChange, testIdPrefix, disabled }: {
  label: string;
  value: T;
  options: Array<{ value: T; label: string; title?: string }>;
  onChange(value: T): void;
  testIdPrefix?: string;
  disabled?: boolean;
}) {
  return (
    <div className="segmented" role="radiogroup" aria-label={label}>
      {options.map((o) => (
        <button
          key={o.value}
          type="button"
          role="radio"
          aria-checked={o.value === value}
          className={o.value === value ? 'active' : ''}
          onClick={() => onChange(o.value)}
          title={o.title}
          data-testid={testIdPrefix ? `${testIdPrefix}-${o.value}` : undefined}
          disabled={disabled}
        >
          {o.label}
        </button>
      ))}
    </div>
  );
}

/**
 * A labelled number typed as text (kept as typed, so "0." can be edited),
 * with its unit after it; `invalid` marks text that does not parse.
 */
export function NumberField({ label, help, value, unit, placeholder, invalid, onChange, testId, disabled, title }: {
  label: ReactNode;
  help?: string;
  value: string;
  unit?: string;
  placeholder?: string;
  invalid?: boolean;
  onChange(text: string): void;
  testId?: string;
  disabled?: boolean;
  title?: string;
}) {
  const id = useId();
  return (
    <div className="field measure-field">
      <FieldLabel label={label} help={help} htmlFor={id} />
      <input
        id={id}
        className={`mono${invalid ? ' invalid' : ''}`}
        value={value}
        placeholder={placeholder}
        inputMode="decimal"
        spellCheck={false}
        aria-invalid={invalid || undefined}
        onChange={(e) => onChange(e.target.value)}
        data-testid={testId}
        disabled={disabled}
        title={title}
      />
      <span className="field-value muted">{unit}</span>
    </div>
  );
}
