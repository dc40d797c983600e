/**
 * The inference host: Electron runs this module in a utilityProcess, so that
 * onnxruntime's blocking session.run() and libvips never stall the window,
 * and a native crash only costs a respawn. It talks to main through
 * `process.parentPort` and imports nothing from Electron.
 */
import { Engine } from '../engine/engine';
import { dispatch } from './host-dispatcher';
import type { HostMessage, HostRequest } from './host-protocol';

interface ParentPort {
  on(event: 'message', listener: (message: { data: HostRequest }) => void): void;
  postMessage(message: HostMessage): void;
}

const parentPort = (process as unknown as { parentPort?: ParentPort }).parentPort;
if (!parentPort) {
  console.error('inference-host must run inside an Electron utilityProcess');
  process.exit(1);
}

const engine = await Engine.create({ electronVersion: process.versions.electron ?? null });
engine.onEvent((event) => parentPort.postMessage({ type: 'event', event }));
parentPort.on('message', ({ data }) => {
  void dispatch(engine, data).then((reply) => parentPort.postMessage({ type: 'reply', id: data.id, reply }));
});
parentPort.postMessage({ type: 'ready' });
