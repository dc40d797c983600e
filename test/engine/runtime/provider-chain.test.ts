import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS } from '../../../electron/engine/settings/defaults';
import { defaultChain, platformProviders, tryProviders, unavailableReason } from '../../../electron/engine/runtime/provider-chain';
import { SessionManager } from '../../../electron/engine/runtime/session-manager';
import type { ProviderName, Settings } from '../../../electron/common/contract';
import { REPO_ROOT } from '../../helpers/fixtures';

const PROBE_MODEL = path.join(REPO_ROOT, 'assets', 'onnx', 'probe-conv.onnx');
const ALL_BACKENDS = ['cpu', 'webgpu', 'cuda', 'tensorrt', 'dml', 'coreml'].map((name) => ({ name, bundled: true }));

describe('execution provider chain', () => {
  it('has an explicit order per platform', () => {
    expect(defaultChain('linux', 'x64')).toEqual(['cuda', 'webgpu', 'cpu']);
    expect(defaultChain('linux', 'arm64')).toEqual(['cpu']);
    expect(defaultChain('win32', 'x64')).toEqual(['dml', 'webgpu', 'cpu']);
    expect(defaultChain('darwin', 'arm64')).toEqual(['coreml', 'cpu']);
  });

  it('skips a provider that throws, keeps its reason, and stops at the first that works', async () => {
    const tried: ProviderName[] = [];
    const result = await tryProviders(['cuda', 'webgpu', 'cpu'], ALL_BACKENDS, async (provider) => {
      tried.push(provider);
      if (provider === 'cuda') throw new Error('OrtSessionOptionsAppendExecutionProvider_Cuda: Failed to load shared library');
      if (provider === 'webgpu') throw new Error('webgpu_context.cc:136 Failed to get a WebGPU adapter: No supported adapters');
      return `session on ${provider}`;
    }, 'linux');
    expect(result.value).toBe('session on cpu');
    expect(result.provider).toBe('cpu');
    expect(tried).toEqual(['cuda', 'webgpu', 'cpu']);
    expect(result.attempts.map((a) => [a.provider, a.ok, a.reason])).toEqual([
      ['cuda', false, 'CUDA libraries not installed (onnxruntime CUDA provider, CUDA 12 and cuDNN 9 are needed)'],
      ['webgpu', false, 'no WebGPU adapter (no usable GPU or Vulkan driver)'],
      ['cpu', true, null],
    ]);
  });

  it('never tries a provider of another platform (onnxruntime would silently run it on CPU)', async () => {
    expect(unavailableReason('dml', ALL_BACKENDS, 'linux')).toBe('not available on linux');
    expect(unavailableReason('coreml', ALL_BACKENDS, 'win32')).toBe('not available on win32');
    expect(unavailableReason('webgpu', [{ name: 'cpu', bundled: true }], 'linux')).toBe('not included in this onnxruntime build');
    const tried: ProviderName[] = [];
    const result = await tryProviders(['dml', 'cpu'], ALL_BACKENDS, async (p) => {
      tried.push(p);
      return p;
    }, 'linux');
    expect(tried).toEqual(['cpu']);
    expect(result.attempts[0]).toMatchObject({ provider: 'dml', ok: false, reason: 'not available on linux' });
  });

  it('reports when no provider works', async () => {
    const result = await tryProviders(['webgpu'], ALL_BACKENDS, async () => {
      throw new Error('nope');
    }, 'linux');
    expect(result.value).toBeNull();
    expect(result.attempts).toEqual([expect.objectContaining({ provider: 'webgpu', ok: false, reason: 'nope' })]);
  });
});

describe('SessionManager on this machine', () => {
  const inference = (override: Partial<Settings['inference']> = {}) => () => ({ ...DEFAULT_SETTINGS.inference, ...override });

  it('creates a real session, reports where it runs and why earlier providers were skipped', async () => {
    const manager = new SessionManager(inference(), PROBE_MODEL);
    const session = await manager.get({ model: 'probe', graph: 'main', file: PROBE_MODEL });
    expect(session.inputNames).toEqual(['x']);
    const [report] = manager.reports();
    const chosen = report.attempts.at(-1)!;
    expect(chosen).toMatchObject({ provider: report.provider, ok: true });
    // Every provider before the chosen one failed, with a reason.
    for (const attempt of report.attempts.slice(0, -1)) expect(attempt).toMatchObject({ ok: false, reason: expect.any(String) });
    expect(report.attempts.map((a) => a.provider)).toEqual(defaultChain().slice(0, report.attempts.length));
    await manager.releaseAll();
  });

  it('probes every provider of the chain for `iriscope info`', async () => {
    const manager = new SessionManager(inference(), PROBE_MODEL);
    const probe = await manager.probe();
    expect(probe.map((a) => a.provider)).toEqual(platformProviders());
    expect(probe.find((a) => a.provider === 'cpu')).toMatchObject({ ok: true });
  });

  it('honours a forced provider and fails clearly when it cannot run', async () => {
    const forcedCpu = new SessionManager(inference({ provider: 'cpu' }), PROBE_MODEL);
    expect(forcedCpu.chain()).toEqual(['cpu']);
    await forcedCpu.get({ model: 'probe', graph: 'main', file: PROBE_MODEL });
    expect(forcedCpu.reports()[0].provider).toBe('cpu');

    const forcedDml = new SessionManager(inference({ provider: 'dml' }), PROBE_MODEL, 'linux');
    await expect(forcedDml.get({ model: 'probe', graph: 'main', file: PROBE_MODEL })).rejects.toMatchObject({
      code: 'PROVIDER_UNAVAILABLE',
      message: 'The model "probe" cannot run on dml, the provider chosen in Settings.',
      detail: 'dml: not available on linux',
    });
  });
});
