import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { missingRequirement } from '../../../electron/engine/runtime/provider-requirements';
import { installError } from '../../../electron/engine/runtime/provider-install';
import { tempDir } from '../../helpers/fixtures';

const CUDA_LIBS = ['libcuda.so.1', 'libcudart.so.12', 'libcublas.so.12', 'libcublasLt.so.12', 'libcufft.so.11', 'libcurand.so.10', 'libcudnn.so.9'];
const finder = (names: string[]) => ({ has: (name: string) => names.includes(name) });

describe('what a GPU provider lacks on this machine', () => {
  it('names the missing onnxruntime CUDA provider first, with the command that installs it', async () => {
    const binDir = await tempDir();
    expect(missingRequirement('cuda', { platform: 'linux', binDir, libraries: finder(CUDA_LIBS) })).toBe(
      "onnxruntime's CUDA provider is not installed (libonnxruntime_providers_cuda.so); install it with `npm run setup:cuda` or Settings → Inference",
    );
  });

  it('then the NVIDIA driver, then each CUDA 12 / cuDNN 9 library by name', async () => {
    const binDir = await tempDir();
    await fs.writeFile(path.join(binDir, 'libonnxruntime_providers_cuda.so'), '');
    expect(missingRequirement('cuda', { platform: 'linux', binDir, libraries: finder([]) })).toBe('no NVIDIA driver (libcuda.so.1 not found)');
    expect(missingRequirement('cuda', { platform: 'linux', binDir, libraries: finder(CUDA_LIBS.filter((l) => l !== 'libcudnn.so.9')) })).toBe('CUDA 12 / cuDNN 9 libraries not found: libcudnn.so.9');
    expect(missingRequirement('cuda', { platform: 'linux', binDir, libraries: finder(CUDA_LIBS) })).toBeNull();
  });

  it('does not try WebGPU without a Vulkan loader (Dawn would print a raw warning)', () => {
    expect(missingRequirement('webgpu', { platform: 'linux', libraries: finder([]) })).toBe('no Vulkan driver (libvulkan.so.1 not found), which WebGPU needs on Linux');
    expect(missingRequirement('webgpu', { platform: 'linux', libraries: finder(['libvulkan.so.1']) })).toBeNull();
    expect(missingRequirement('cpu', { platform: 'linux', libraries: finder([]) })).toBeNull();
    expect(missingRequirement('dml', { platform: 'win32', libraries: finder([]) })).toBeNull();
  });

  it("explains the installer's failure without a network", () => {
    const error = installError('Error: getaddrinfo ENOTFOUND api.nuget.org\n    at GetAddrInfoReqWrap.onlookupall', '/app/node_modules/onnxruntime-node');
    expect(error.code).toBe('PROVIDER_UNAVAILABLE');
    expect(error.message).toContain('api.nuget.org');
    expect(error.hint).toContain('Nothing was changed');
  });
});
