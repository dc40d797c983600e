import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { IriscopeError } from '../../common/errors';

/**
 * The opt-in GPU setup: onnxruntime-node's own installer, asked for its CUDA
 * 12 provider libraries (CUDA and TensorRT providers, ~400 MB from NuGet).
 * `.npmrc` skips that download for everyone (offline machines and CI cannot
 * reach NuGet); a user with an NVIDIA GPU runs it once: `npm run setup:cuda`,
 * `iriscope setup-cuda`, or Settings → Inference → Install.
 */
export async function installCudaProvider(options: { signal?: AbortSignal; onOutput?: (line: string) => void; platform?: NodeJS.Platform; arch?: string } = {}): Promise<void> {
  const platform = options.platform ?? process.platform;
  const arch = options.arch ?? process.arch;
  if (platform !== 'linux' || arch !== 'x64') {
    throw new IriscopeError({ code: 'PROVIDER_UNAVAILABLE', message: `onnxruntime-node has no CUDA provider for ${platform}/${arch}; it ships one for Linux x64 only.`, hint: platform === 'win32' ? 'On Windows the GPU runs through DirectML, which needs no install.' : undefined });
  }
  const packageDir = path.dirname(createRequire(import.meta.url).resolve('onnxruntime-node/package.json'));
  const script = path.join(packageDir, 'script', 'install.js');
  let output = '';
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(process.execPath, [script, '--onnxruntime-node-install=cuda12'], {
      cwd: packageDir,
      // ELECTRON_RUN_AS_NODE: inside the desktop app process.execPath is Electron.
      env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'cuda12', ELECTRON_RUN_AS_NODE: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const collect = (chunk: Buffer) => {
      const text = chunk.toString();
      output = (output + text).slice(-8000);
      for (const line of text.split('\n')) if (line.trim()) options.onOutput?.(line.trim());
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const abort = () => child.kill('SIGTERM');
    options.signal?.addEventListener('abort', abort, { once: true });
    child.on('error', reject);
    child.on('exit', (status) => {
      options.signal?.removeEventListener('abort', abort);
      resolve(status);
    });
  });
  if (options.signal?.aborted) throw new IriscopeError({ code: 'CANCELLED', message: 'Installing the CUDA provider was cancelled.' });
  if (code !== 0) throw installError(output, packageDir);
}

/** onnxruntime's installer fails with a Node stack trace; say what it means. */
export function installError(output: string, packageDir: string): IriscopeError {
  const detail = output.trim().split('\n').slice(-12).join('\n');
  if (/ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT|ENETUNREACH|ECONNRESET|getaddrinfo/i.test(output)) {
    return new IriscopeError({
      code: 'PROVIDER_UNAVAILABLE',
      message: 'Could not download the CUDA provider: api.nuget.org, where onnxruntime publishes it, cannot be reached from this computer.',
      detail,
      hint: 'Connect to the internet (or set GLOBAL_AGENT_HTTPS_PROXY for a proxy) and try again. Nothing was changed.',
    });
  }
  if (/EACCES|EPERM|EROFS/i.test(output)) {
    return new IriscopeError({ code: 'PERMISSION_DENIED', message: `Iriscope may not write the CUDA provider into ${packageDir}.`, detail, hint: 'Run `npm run setup:cuda` as the user who installed Iriscope.' });
  }
  return new IriscopeError({ code: 'INTERNAL', message: 'Installing the CUDA provider failed.', detail });
}
