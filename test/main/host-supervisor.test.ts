import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { EngineEvent } from '../../electron/common/contract';
import type { HostMessage, HostRequest } from '../../electron/host/host-protocol';
import { HostSupervisor, type HostProcess } from '../../electron/main/host-supervisor';

/** A stand-in for Electron's UtilityProcess that answers like the real host. */
class FakeHost extends EventEmitter implements HostProcess {
  received: HostRequest[] = [];
  constructor(private readonly answer = true) {
    super();
    setTimeout(() => this.emit('message', { type: 'ready' } satisfies HostMessage), 5);
  }
  postMessage(message: HostRequest): void {
    this.received.push(message);
    if (this.answer) setTimeout(() => this.emit('message', { type: 'reply', id: message.id, reply: { ok: true, result: message.method } } satisfies HostMessage), 5);
  }
  kill(): boolean {
    setTimeout(() => this.emit('exit', 9), 5);
    return true;
  }
}

describe('inference host supervisor', () => {
  it('routes calls to the host and replies back', async () => {
    const supervisor = new HostSupervisor(() => new FakeHost(), () => undefined);
    await expect(supervisor.call('listJobs', {})).resolves.toEqual({ ok: true, result: 'listJobs' });
  });

  it('answers calls in flight with ENGINE_RESTARTED when the host dies, and respawns it', async () => {
    const hosts: FakeHost[] = [];
    const events: EngineEvent[] = [];
    const supervisor = new HostSupervisor(() => {
      const host = new FakeHost(hosts.length > 0);
      hosts.push(host);
      return host;
    }, (e) => events.push(e));
    const stuck = supervisor.call('engineInfo', {});
    await new Promise((r) => setTimeout(r, 20));
    supervisor.restart();
    await expect(stuck).resolves.toMatchObject({ ok: false, error: { code: 'ENGINE_RESTARTED' } });
    await expect.poll(() => events.map((e) => e.type === 'engine' && e.state)).toEqual(['restarting', 'ready']);
    expect(hosts).toHaveLength(2);
    await expect(supervisor.call('listJobs', {})).resolves.toEqual({ ok: true, result: 'listJobs' });
  });

  it('forwards engine events', async () => {
    const events: EngineEvent[] = [];
    let host!: FakeHost;
    const supervisor = new HostSupervisor(() => (host = new FakeHost()), (e) => events.push(e));
    await supervisor.start();
    host.emit('message', { type: 'event', event: { type: 'engine', state: 'ready', reason: null } });
    expect(events).toEqual([{ type: 'engine', state: 'ready', reason: null }]);
  });

  it('does not respawn after stop()', async () => {
    let spawned = 0;
    const supervisor = new HostSupervisor(() => {
      spawned++;
      return new FakeHost();
    }, () => undefined);
    await supervisor.start();
    supervisor.stop();
    await new Promise((r) => setTimeout(r, 40));
    expect(spawned).toBe(1);
  });
});
