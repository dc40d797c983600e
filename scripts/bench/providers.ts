/**
 * Every shipped model on every execution provider that loads on this
 * machine: median time per run and the largest difference from CPU output.
 * Providers that do not load are listed with the reason.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import type { ProviderName } from '../../electron/common/contract';
import { ModelRegistry } from '../../electron/engine/models/model-registry';
import type { TensorSpec } from '../../electron/engine/models/manifest-schema';
import { defaultChain } from '../../electron/engine/runtime/provider-chain';
import { SessionManager } from '../../electron/engine/runtime/session-manager';
import { DEFAULT_SETTINGS } from '../../electron/engine/settings/defaults';

const root = fileURLToPath(new URL('../..', import.meta.url));
const RUNS = 10;

function randomInput(spec: TensorSpec, seed: number): ort.Tensor {
  const dims = spec.shape.map((d) => (typeof d === 'number' ? d : 1));
  const size = dims.reduce((a, b) => a * b, 1);
  let s = seed;
  const next = () => ((s = (s * 16807) % 2147483647) / 2147483647);
  if (spec.type === 'float32') return new ort.Tensor('float32', Float32Array.from({ length: size }, next), dims);
  if (spec.type === 'int64') return new ort.Tensor('int64', new BigInt64Array(size), dims);
  if (spec.type === 'uint8') return new ort.Tensor('uint8', Uint8Array.from({ length: size }, () => Math.floor(next() * 256)), dims);
  throw new Error(`no random input for ${spec.type}`);
}

export async function benchProviders(): Promise<void> {
  const chain = defaultChain();
  const probeModel = path.join(root, 'assets', 'onnx', 'probe-conv.onnx');
  const probe = await new SessionManager(() => DEFAULT_SETTINGS.inference, probeModel).probe();
  console.log(`\n== providers on ${process.platform}/${process.arch}: chain ${chain.join(' → ')}`);
  for (const a of probe) console.log(`  ${a.ok ? '✔' : '✘'} ${a.provider.padEnd(7)} ${a.ok ? 'loads' : `skipped: ${a.reason}`}`);
  const working = probe.filter((a) => a.ok).map((a) => a.provider);

  const registries = new Map<ProviderName, ModelRegistry>();
  for (const provider of working) {
    const registry = new ModelRegistry(path.join(root, 'models'), path.join(root, '.cache', 'no-user-models'), new SessionManager(() => ({ ...DEFAULT_SETTINGS.inference, provider }), probeModel));
    await registry.scan();
    registries.set(provider, registry);
  }
  const models = [...registries.values()][0]?.list().filter((m) => m.valid) ?? [];
  console.log(`\n${'model / graph'.padEnd(36)} ${'provider'.padEnd(8)} ${'ms/run'.padStart(9)} ${'vs CPU'.padStart(8)} ${'max |Δ| vs CPU'.padStart(15)}`);
  for (const model of models) {
    for (const graph of model.graphs) {
      const spec = registries.get(working[0])!.get(model.id).manifest.graphs[graph];
      const feeds = Object.fromEntries(spec.inputs.map((input, i) => [input.name, randomInput(input, 1234 + i)]));
      let cpu: { ms: number; outputs: Record<string, ort.Tensor> } | null = null;
      for (const provider of ['cpu' as ProviderName, ...working.filter((p) => p !== 'cpu')]) {
        const registry = registries.get(provider);
        if (!registry) continue;
        try {
          const session = await registry.session(model.id, graph);
          await session.run(feeds);
          const times: number[] = [];
          let outputs: Record<string, ort.Tensor> = {};
          for (let i = 0; i < RUNS; i++) {
            const t = performance.now();
            outputs = (await session.run(feeds)) as Record<string, ort.Tensor>;
            times.push(performance.now() - t);
          }
          const ms = times.sort((a, b) => a - b)[Math.floor(RUNS / 2)];
          let diff = 0;
          if (cpu) {
            for (const [name, tensor] of Object.entries(outputs)) {
              const a = tensor.data as Float32Array;
              const b = cpu.outputs[name].data as Float32Array;
              for (let i = 0; i < a.length; i++) diff = Math.max(diff, Math.abs(Number(a[i]) - Number(b[i])));
            }
          } else {
            cpu = { ms, outputs };
          }
          const speedup = provider === 'cpu' ? '1.00×' : `${(cpu.ms / ms).toFixed(2)}×`;
          console.log(`${`${model.id} / ${graph}`.padEnd(36)} ${provider.padEnd(8)} ${ms.toFixed(2).padStart(9)} ${speedup.padStart(8)} ${(provider === 'cpu' ? '—' : diff.toExponential(2)).padStart(15)}`);
        } catch (error) {
          console.log(`${`${model.id} / ${graph}`.padEnd(36)} ${provider.padEnd(8)} failed: ${(error as Error).message.split('\n')[0]}`);
        }
      }
    }
  }
  if (!models.length) console.log('(no valid models installed)');
  if (working.length === 1) console.log(`\nOnly CPU loads here, so no GPU speed-up can be shown: ${probe.filter((a) => !a.ok).map((a) => `${a.provider}: ${a.reason}`).join('; ')}.`);
}
