import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { ProviderName } from '../../common/contract';

/**
 * What a GPU provider needs on disk before onnxruntime can start it, checked
 * without starting it. A missing piece is named exactly ("libcudnn.so.9 not
 * found") instead of onnxruntime's long load error, and a provider that
 * cannot start is not tried at all: Dawn (WebGPU) prints a raw Vulkan warning
 * to stderr when it looks for a driver that is not there.
 */

/** The command that installs onnxruntime's CUDA provider libraries (README, Settings). */
export const CUDA_SETUP_COMMAND = 'npm run setup:cuda';

/** Folder of onnxruntime-node's native binaries for this platform (where the CUDA provider libraries go). */
export function ortBinaryDir(platform: NodeJS.Platform = process.platform, arch: string = process.arch): string | null {
  try {
    const pkg = createRequire(import.meta.url).resolve('onnxruntime-node/package.json');
    return path.join(path.dirname(pkg), 'bin', 'napi-v6', platform, arch);
  } catch {
    return null;
  }
}

/** Shared libraries the dynamic loader can find, from `ldconfig -p` and the library path (Linux). */
export class LibraryFinder {
  private cache: Set<string> | null = null;

  constructor(private readonly env: NodeJS.ProcessEnv = process.env) {}

  has(name: string): boolean {
    return this.known().has(name) || this.searchDirs().some((dir) => existsSync(path.join(dir, name)));
  }

  private known(): Set<string> {
    if (this.cache) return this.cache;
    this.cache = new Set();
    for (const ldconfig of ['/sbin/ldconfig', '/usr/sbin/ldconfig']) {
      try {
        const text = execFileSync(ldconfig, ['-p'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 });
        for (const line of text.split('\n')) {
          const name = /^\s*(\S+)\s+\(/.exec(line)?.[1];
          if (name) this.cache.add(name);
        }
        break;
      } catch {
        // No ldconfig here: the directory search below still runs.
      }
    }
    return this.cache;
  }

  private searchDirs(): string[] {
    const fromEnv = (this.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean);
    return [
      ...fromEnv,
      '/usr/local/cuda/lib64',
      '/usr/local/cuda/targets/x86_64-linux/lib',
      '/usr/lib/x86_64-linux-gnu',
      '/usr/lib64',
      '/usr/lib',
      '/lib/x86_64-linux-gnu',
      '/lib64',
    ];
  }
}

/** CUDA 12 / cuDNN 9 libraries onnxruntime's CUDA provider loads (1.2x–1.30 builds). */
const CUDA_RUNTIME = ['libcudart.so.12', 'libcublas.so.12', 'libcublasLt.so.12', 'libcufft.so.11', 'libcurand.so.10', 'libcudnn.so.9'];

/**
 * Why `provider` cannot start on this machine, or null when everything it
 * needs is there (then only trying it tells). Linux only: elsewhere the
 * providers ship with onnxruntime or the operating system.
 */
export function missingRequirement(
  provider: ProviderName,
  options: { platform?: NodeJS.Platform; binDir?: string | null; libraries?: Pick<LibraryFinder, 'has'> } = {},
): string | null {
  const platform = options.platform ?? process.platform;
  if (platform !== 'linux') return null;
  const libraries = options.libraries ?? defaultFinder;
  const binDir = options.binDir === undefined ? ortBinaryDir(platform) : options.binDir;
  switch (provider) {
    case 'cuda':
    case 'tensorrt': {
      const providerLib = provider === 'cuda' ? 'libonnxruntime_providers_cuda.so' : 'libonnxruntime_providers_tensorrt.so';
      if (binDir && !existsSync(path.join(binDir, providerLib))) {
        return `onnxruntime's ${provider === 'cuda' ? 'CUDA' : 'TensorRT'} provider is not installed (${providerLib}); install it with \`${CUDA_SETUP_COMMAND}\` or Settings → Inference`;
      }
      if (!libraries.has('libcuda.so.1')) return 'no NVIDIA driver (libcuda.so.1 not found)';
      const missing = CUDA_RUNTIME.filter((lib) => !libraries.has(lib));
      if (provider === 'tensorrt' && !libraries.has('libnvinfer.so.10')) missing.push('libnvinfer.so.10');
      if (missing.length) return `CUDA 12 / cuDNN 9${provider === 'tensorrt' ? ' / TensorRT 10' : ''} libraries not found: ${missing.join(', ')}`;
      return null;
    }
    case 'webgpu':
      return libraries.has('libvulkan.so.1') ? null : 'no Vulkan driver (libvulkan.so.1 not found), which WebGPU needs on Linux';
    default:
      return null;
  }
}

const defaultFinder = new LibraryFinder();
