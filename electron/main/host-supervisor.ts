import type { ApiMethod } from '../common/api-methods';
import type { EngineEvent, Reply } from '../common/contract';
import type { HostMessage, HostRequest } from '../host/host-protocol';

/** The parts of Electron's UtilityProcess the supervisor uses (a fake in tests). */
export interface HostProcess {
  postMessage(message: HostRequest): void;
  on(event: 'message', listener: (message: HostMessage) => void): unknown;
  on(event: 'exit', listener: (code: number) => void): unknown;
  kill(): boolean;
}

interface Pending {
  resolve(reply: Reply<unknown>): void;
}

const MAX_RESTARTS_PER_MINUTE = 5;

/**
 * Keeps the inference host alive: starts it, routes calls and replies,
 * forwards engine events, and respawns it when it dies (a native crash, or
 * a hard cancel that killed it). Calls in flight when it dies are answered
 * with ENGINE_RESTARTED rather than left hanging.
 */
export class HostSupervisor {
  private child: HostProcess | null = null;
  private ready: Promise<void> | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private restarts: number[] = [];
  private stopping = false;

  constructor(
    private readonly spawn: () => HostProcess,
    private readonly onEvent: (event: EngineEvent) => void,
  ) {}

  start(): Promise<void> {
    if (this.ready) return this.ready;
    const child = this.spawn();
    this.child = child;
    this.ready = new Promise<void>((resolve) => {
      child.on('message', (message: HostMessage) => {
        if (message.type === 'ready') resolve();
        else if (message.type === 'event') this.onEvent(message.event);
        else if (message.type === 'reply') {
          const pending = this.pending.get(message.id);
          this.pending.delete(message.id);
          pending?.resolve(message.reply);
        }
      });
    });
    child.on('exit', (code: number) => this.onExit(child, code));
    return this.ready;
  }

  async call(method: ApiMethod, input: unknown, bytes?: Uint8Array): Promise<Reply<unknown>> {
    await this.start();
    const id = this.nextId++;
    return new Promise<Reply<unknown>>((resolve) => {
      this.pending.set(id, { resolve });
      this.child!.postMessage({ type: 'call', id, method, input, ...(bytes ? { bytes } : {}) });
    });
  }

  /** Kills the host (the hard cancel of work that cannot stop itself); it respawns. */
  restart(): void {
    this.child?.kill();
  }

  stop(): void {
    this.stopping = true;
    this.child?.kill();
  }

  private onExit(child: HostProcess, code: number): void {
    if (child !== this.child) return;
    this.child = null;
    this.ready = null;
    for (const [id, pending] of this.pending) {
      pending.resolve({ ok: false, error: { code: 'ENGINE_RESTARTED', message: 'The inference engine stopped and was restarted; the request was not finished.', detail: `exit code ${code}` } });
      this.pending.delete(id);
    }
    if (this.stopping) return;
    const now = Date.now();
    this.restarts = [...this.restarts.filter((t) => now - t < 60_000), now];
    if (this.restarts.length > MAX_RESTARTS_PER_MINUTE) {
      this.onEvent({ type: 'engine', state: 'restarting', reason: `The inference engine crashed ${this.restarts.length} times in a minute; it will start again on the next request.` });
      return;
    }
    this.onEvent({ type: 'engine', state: 'restarting', reason: `exit code ${code}` });
    void this.start().then(() => this.onEvent({ type: 'engine', state: 'ready', reason: null }));
  }
}
