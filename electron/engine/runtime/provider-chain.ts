import type { ProviderName } from '../../common/contract';

export interface ProviderAttempt {
  provider: ProviderName;
  ok: boolean;
  reason: string | null;
  ms: number;
}

/**
 * Providers to try, best first, per platform. onnxruntime-node throws when a
 * compiled-in provider cannot start (no GPU adapter, missing CUDA libraries)
 * instead of falling back, so each is tried on its own, in this order.
 */
export function defaultChain(platform: NodeJS.Platform = process.platform, arch: string = process.arch): ProviderName[] {
  switch (platform) {
    case 'linux':
      // WebGPU is not built for Linux arm64; CUDA only for x64.
      return arch === 'x64' ? ['cuda', 'webgpu', 'cpu'] : ['cpu'];
    case 'win32':
      return ['dml', 'webgpu', 'cpu'];
    case 'darwin':
      return ['coreml', 'cpu'];
    default:
      return ['cpu'];
  }
}

/**
 * Every provider onnxruntime-node has for a platform (its README's table):
 * what Settings offers. The automatic chain is a subset, best first.
 */
export function platformProviders(platform: NodeJS.Platform = process.platform, arch: string = process.arch): ProviderName[] {
  switch (platform) {
    case 'linux':
      return arch === 'x64' ? ['cuda', 'tensorrt', 'webgpu', 'cpu'] : ['cpu'];
    case 'win32':
      return ['dml', 'webgpu', 'cpu'];
    case 'darwin':
      return ['coreml', 'webgpu', 'cpu'];
    default:
      return ['cpu'];
  }
}

/** Providers that only exist on one platform; onnxruntime silently drops them elsewhere. */
const PLATFORM_ONLY: Partial<Record<ProviderName, NodeJS.Platform[]>> = {
  dml: ['win32'],
  coreml: ['darwin'],
  cuda: ['linux', 'win32'],
  tensorrt: ['linux', 'win32'],
};

export interface BackendInfo {
  name: string;
  bundled: boolean;
}

/**
 * Why `provider` should not even be tried here, or null if it may work.
 * Trying an unregistered name would make onnxruntime drop it with a warning
 * and quietly run on CPU, which would then be misreported as a GPU.
 */
export function unavailableReason(provider: ProviderName, backends: BackendInfo[], platform: NodeJS.Platform = process.platform): string | null {
  if (provider === 'cpu') return null;
  const only = PLATFORM_ONLY[provider];
  if (only && !only.includes(platform)) return `not available on ${platform}`;
  if (!backends.some((b) => b.name === provider)) return 'not included in this onnxruntime build';
  return null;
}

/**
 * Tries `create` with one provider at a time, in order, and returns the first
 * that works together with the reason each earlier one failed. `precheck`
 * names what a provider is missing on this machine (then it is not tried).
 */
export async function tryProviders<T>(
  chain: ProviderName[],
  backends: BackendInfo[],
  create: (provider: ProviderName) => Promise<T>,
  platform: NodeJS.Platform = process.platform,
  precheck: (provider: ProviderName) => string | null = () => null,
): Promise<{ value: T; provider: ProviderName; attempts: ProviderAttempt[] } | { value: null; provider: null; attempts: ProviderAttempt[] }> {
  const attempts: ProviderAttempt[] = [];
  for (const provider of chain) {
    const skip = unavailableReason(provider, backends, platform) ?? precheck(provider);
    if (skip) {
      attempts.push({ provider, ok: false, reason: skip, ms: 0 });
      continue;
    }
    const started = performance.now();
    try {
      const value = await create(provider);
      attempts.push({ provider, ok: true, reason: null, ms: performance.now() - started });
      return { value, provider, attempts };
    } catch (error) {
      attempts.push({ provider, ok: false, reason: summariseProviderError(error), ms: performance.now() - started });
    }
  }
  return { value: null, provider: null, attempts };
}

/** The useful sentence of onnxruntime's long provider errors. */
export function summariseProviderError(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  if (/Failed to get a WebGPU adapter/i.test(text)) return 'no WebGPU adapter (no usable GPU or Vulkan driver)';
  if (/providers_shared|Failed to load shared library|libcudart|libcudnn|libcublas/i.test(text)) {
    return 'CUDA libraries not installed (onnxruntime CUDA provider, CUDA 12 and cuDNN 9 are needed)';
  }
  if (/backend not found/i.test(text)) return 'not included in this onnxruntime build';
  const firstLine = text.split('\n')[0];
  return firstLine.length > 300 ? `${firstLine.slice(0, 300)}…` : firstLine;
}
