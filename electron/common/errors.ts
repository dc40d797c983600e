/**
 * Typed errors shared by every layer. An error crosses process and network
 * boundaries as plain `ErrorInfo` data; `IriscopeError` is how code raises it.
 * Messages are written for the person using the app; `detail` keeps the
 * technical cause (library message, errno) for bug reports.
 */
export const ERROR_CODES = [
  'BAD_REQUEST',
  /** A request or upload larger than the server accepts. */
  'PAYLOAD_TOO_LARGE',
  'UNAUTHORIZED',
  'FILE_NOT_FOUND',
  'NOT_A_FILE',
  'NOT_A_FOLDER',
  'PERMISSION_DENIED',
  'UNSUPPORTED_FORMAT',
  'CORRUPT_IMAGE',
  'IMAGE_TOO_LARGE',
  /** The image is fine, but this task on it would exceed a resource budget (disk, memory); the message has the numbers. */
  'IMAGE_TOO_LARGE_FOR_TASK',
  'NOT_FOUND',
  'MODEL_NOT_FOUND',
  'MODEL_INVALID',
  'MODEL_HASH_MISMATCH',
  'MODEL_SIGNATURE_MISMATCH',
  'PROVIDER_UNAVAILABLE',
  'CANCELLED',
  'DISK_FULL',
  /** An output would land on an input or on a file Iriscope did not write in this run. */
  'OUTPUT_EXISTS',
  'ENGINE_RESTARTED',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ErrorInfo {
  code: ErrorCode;
  /** One or two sentences for the user: what went wrong, with the file name. */
  message: string;
  /** Technical cause, shown folded in the UI and printed by the CLI with --verbose. */
  detail?: string;
  /** What the user can do about it. */
  hint?: string;
}

export class IriscopeError extends Error implements ErrorInfo {
  readonly code: ErrorCode;
  readonly detail?: string;
  readonly hint?: string;

  constructor(info: ErrorInfo, options?: { cause?: unknown }) {
    super(info.message, options);
    this.name = 'IriscopeError';
    this.code = info.code;
    this.detail = info.detail;
    this.hint = info.hint;
  }

  toJSON(): ErrorInfo {
    return toErrorInfo(this);
  }
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);
}

/** Turns anything thrown into `ErrorInfo`; unknown errors become INTERNAL. */
export function toErrorInfo(error: unknown): ErrorInfo {
  if (error instanceof IriscopeError) {
    const info: ErrorInfo = { code: error.code, message: error.message };
    if (error.detail) info.detail = error.detail;
    if (error.hint) info.hint = error.hint;
    return info;
  }
  if (error && typeof error === 'object' && isErrorCode((error as ErrorInfo).code) && typeof (error as ErrorInfo).message === 'string') {
    const e = error as ErrorInfo;
    return { code: e.code, message: e.message, ...(e.detail ? { detail: e.detail } : {}), ...(e.hint ? { hint: e.hint } : {}) };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'INTERNAL', message: 'Something went wrong inside Iriscope.', detail: message };
}

export function fromErrorInfo(info: ErrorInfo): IriscopeError {
  return new IriscopeError(info);
}

export function cancelledError(what = 'The job'): IriscopeError {
  return new IriscopeError({ code: 'CANCELLED', message: `${what} was cancelled.` });
}
