// The console's small shared pieces: buttons, badges, progress bars, times, problems, a confirmation dialog.
import { type ReactNode, useEffect, useId, useRef, useState } from 'react';
import { ApiError } from './api.ts';

export function Button(
  props: React.ButtonHTMLAttributes<HTMLButtonElement> & { variant?: 'primary' | 'danger' | 'quiet'; busy?: boolean },
) {
  const { variant, busy, className, children, disabled, ...rest } = props;
  return (
    <button
      type="button"
      className={['button', variant ? `button-${variant}` : '', className ?? ''].join(' ').trim()}
      disabled={disabled || busy}
      aria-busy={busy || undefined}
      {...rest}
    >
      {children}
    </button>
  );
}

const STATUS_TONE: Record<string, string> = {
  PRE_RELEASE: 'info',
  STAGING: 'info',
  DEPLOYING: 'active',
  MONITORING: 'active',
  CONFIRMING: 'active',
  COMPLETED: 'good',
  ROLLBACK_REQUESTED: 'bad',
  ROLLING_BACK: 'bad',
  ROLLED_BACK: 'bad',
  ROLLBACK_FAILED: 'bad',
  CANCELLED: 'muted',
  done: 'good',
  pending: 'muted',
  skipped: 'muted',
  blocked: 'warn',
  failed: 'bad',
  approve: 'good',
  reject: 'bad',
  published: 'good',
  failed_delivery: 'bad',
};

/** A status as a badge; the text is the status itself, so colour is never the only signal. */
export function Badge({ value, tone }: { value: string; tone?: string }) {
  return <span className={`badge badge-${tone ?? STATUS_TONE[value] ?? 'muted'}`}>{value.replace(/_/g, ' ')}</span>;
}

export function Progress({ done, total, label }: { done: number; total: number; label: string }) {
  const percent = total === 0 ? 100 : Math.round((done / total) * 100);
  return (
    <span className="progress">
      <progress max={Math.max(total, 1)} value={total === 0 ? 1 : done} aria-label={label} />
      <span className="progress-figures">
        {done}/{total}
        <span className="visually-hidden"> ({percent} %)</span>
      </span>
    </span>
  );
}

/** A time in UTC to the minute, with the full ISO time on hover, and a relative "5 min ago". */
export function Time({ iso, relative }: { iso: string | undefined | null; relative?: boolean }) {
  if (!iso) return <span>-</span>;
  const date = new Date(iso);
  const text = relative ? ago(date) : `${date.toISOString().slice(0, 16).replace('T', ' ')}Z`;
  return (
    <time dateTime={iso} title={date.toISOString()}>
      {text}
    </time>
  );
}

export function ago(date: Date, now = Date.now()): string {
  const seconds = Math.round((now - date.getTime()) / 1000);
  const future = seconds < 0;
  const s = Math.abs(seconds);
  const text =
    s < 60
      ? `${s} s`
      : s < 3600
        ? `${Math.round(s / 60)} min`
        : s < 86400
          ? `${Math.round(s / 3600)} h`
          : `${Math.round(s / 86400)} d`;
  return future ? `in ${text}` : `${text} ago`;
}

/** A duration in words: 90 000 ms → "1 min 30 s". */
export function span(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min${s % 60 ? ` ${s % 60} s` : ''}`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h${m % 60 ? ` ${m % 60} min` : ''}`;
  return `${Math.floor(h / 24)} d${h % 24 ? ` ${h % 24} h` : ''}`;
}

/** A failed request, said as the API said it, with the fields it named. */
export function Problem({ error, title }: { error: unknown; title?: string }) {
  if (!error) return null;
  const api = error instanceof ApiError ? error : undefined;
  return (
    <div className="problem" role="alert">
      <strong>{title ?? (api ? problemTitle(api) : 'Something went wrong')}</strong>
      <p>{error instanceof Error ? error.message : String(error)}</p>
      {api && api.fields.length > 0 && (
        <ul>
          {api.fields.map((field) => (
            <li key={field.name}>
              <code>{field.name}</code> {field.reason}
            </li>
          ))}
        </ul>
      )}
      {api?.retryAfter !== undefined && <p>Try again in {api.retryAfter} s.</p>}
    </div>
  );
}

const problemTitle = (error: ApiError): string =>
  error.status === 0
    ? 'Shipgate cannot be reached'
    : error.status === 403
      ? 'Not allowed'
      : error.status === 404
        ? 'Not found'
        : error.status === 409
          ? 'Not now'
          : error.status >= 500
            ? 'Shipgate could not do it'
            : 'Not accepted';

export function Loading({ what }: { what: string }) {
  return (
    <p className="loading" role="status">
      Loading {what}…
    </p>
  );
}

/**
 * A confirmation dialog (a native <dialog>, modal, focus kept inside, Escape cancels) with an optional text field
 * for the reason or comment the API needs.
 */
export function Confirm(props: {
  open: boolean;
  title: string;
  body?: ReactNode;
  confirmLabel: string;
  variant?: 'primary' | 'danger';
  field?: { label: string; required?: boolean; placeholder?: string; multiline?: boolean };
  busy?: boolean;
  error?: unknown;
  onConfirm: (text: string) => void;
  onCancel: () => void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const [text, setText] = useState('');
  const id = useId();
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (props.open && !dialog.open) {
      setText('');
      dialog.showModal();
    } else if (!props.open && dialog.open) dialog.close();
  }, [props.open]);
  const missing = props.field?.required === true && text.trim() === '';
  return (
    <dialog ref={ref} className="dialog" aria-labelledby={`${id}-title`} onCancel={props.onCancel}>
      <form
        method="dialog"
        onSubmit={(event) => {
          event.preventDefault();
          if (!missing) props.onConfirm(text.trim());
        }}
      >
        <h2 id={`${id}-title`}>{props.title}</h2>
        {props.body}
        {props.field && (
          <label className="field" htmlFor={`${id}-text`}>
            <span>
              {props.field.label}
              {props.field.required ? ' (required)' : ' (optional)'}
            </span>
            {props.field.multiline ? (
              <textarea
                id={`${id}-text`}
                value={text}
                onChange={(event) => setText(event.target.value)}
                placeholder={props.field.placeholder}
                required={props.field.required}
                rows={3}
              />
            ) : (
              <input
                id={`${id}-text`}
                value={text}
                onChange={(event) => setText(event.target.value)}
                placeholder={props.field.placeholder}
                required={props.field.required}
              />
            )}
          </label>
        )}
        <Problem error={props.error} />
        <div className="dialog-actions">
          <Button onClick={props.onCancel}>Cancel</Button>
          <Button type="submit" variant={props.variant ?? 'primary'} busy={props.busy} disabled={missing}>
            {props.confirmLabel}
          </Button>
        </div>
      </form>
    </dialog>
  );
}
