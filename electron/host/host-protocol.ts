import type { ApiMethod } from '../common/api-methods';
import type { EngineEvent, Reply } from '../common/contract';

/**
 * Messages between Electron main and the inference host (a utilityProcess).
 * Main validates every request before it gets here; the host replies with
 * the same `Reply` envelope every transport uses.
 */
export type HostRequest = { type: 'call'; id: number; method: ApiMethod; input: unknown; bytes?: Uint8Array };
export type HostMessage =
  | { type: 'reply'; id: number; reply: Reply<unknown> }
  | { type: 'event'; event: EngineEvent }
  | { type: 'ready' };
