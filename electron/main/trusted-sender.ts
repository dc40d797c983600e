import { IriscopeError } from '../common/errors';

/** What main needs of an IPC event to know who sent it (Electron's event, or a test's). */
export interface SenderEvent {
  senderFrame?: { url: string; parent?: unknown } | null;
}

/**
 * Refuses IPC from anything but the app's own top-level page (checklist #17):
 * the scheme and host must be the app's (custom schemes have an opaque
 * origin, so both are compared), and the frame must be the main frame, not an
 * iframe an attacker managed to embed. Every handler in main calls this first.
 */
export function assertTrustedSender(event: SenderEvent, trustedOrigin: string): void {
  const frame = event.senderFrame;
  const url = frame?.url ?? '';
  const sender = safeUrl(url);
  const trusted = safeUrl(trustedOrigin);
  const topLevel = frame !== null && frame !== undefined && (frame.parent === null || frame.parent === undefined);
  if (!sender || !trusted || sender.protocol !== trusted.protocol || sender.host !== trusted.host || !topLevel) {
    throw new IriscopeError({ code: 'UNAUTHORIZED', message: 'Request from an untrusted page refused.', detail: `sender ${url || 'unknown'}${topLevel ? '' : ' (not the top-level frame)'}` });
  }
}

export function isTrustedSender(event: SenderEvent, trustedOrigin: string): boolean {
  try {
    assertTrustedSender(event, trustedOrigin);
    return true;
  } catch {
    return false;
  }
}

function safeUrl(url: string): URL | null {
  try {
    return new URL(url);
  } catch {
    return null;
  }
}
