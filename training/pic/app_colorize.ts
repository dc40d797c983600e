/**
 * The app's own colorizer, driven for evaluation (training/pic/evaluate.py runs this):
 * the shipped ONNX models through onnxruntime-node, the engine's sampler (embed once,
 * cached row/pixel sampling with the seeded uniforms), its guided-filter upsampling and
 * Lab → sRGB — the same calls `colorize.ts` makes, on a photo read with sharp instead of
 * a pyramid. Optionally runs the app's face detector (for the skin check).
 *
 *   node --import tsx training/pic/app_colorize.ts JOB.json
 *
 * JOB.json: { out, models: [id], samples, seed, temperature, photos: [{ id, file, faces? }] }
 * Writes per photo and model: OUT/<model>/<id>.rgb (uint8 [1 + 1 + N, H, W, 3]: gray-free
 * order preview, then the N samples), OUT/<model>/<id>.grid.f32 ([N, 2, h, w] ab, Lab units),
 * OUT/timing-<models>.json, and OUT/faces.json ({ id: [[x, y, w, h, score], ...] }) when faces are asked for.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { fileURLToPath } from 'node:url';
import { ModelRegistry } from '../../electron/engine/models/model-registry';
import { SessionManager } from '../../electron/engine/runtime/session-manager';
import { picConfig } from '../../electron/engine/pipelines/colorize/pic-model';
import { picSessions, renderRgb, samplePhoto } from '../../electron/engine/pipelines/colorize/colorize';
import { detectFacesIn, defaultMinFace } from '../../electron/engine/pipelines/faces/detect-faces';
import { attributeConfig, detectorConfig } from '../../electron/engine/pipelines/faces/model-config';
import { FACE_ATTRIBUTES_MODEL, FACE_DETECTOR_MODEL } from '../../electron/engine/pipelines/faces/face-service';
import type { PyramidReader } from '../../electron/engine/images/pyramid/pyramid-reader';

interface Job {
  out: string;
  models: string[];
  samples: number;
  seed: number;
  temperature: number;
  photos: Array<{ id: string; file: string; faces?: boolean }>;
}

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** What the colorizer and the face detector read from a photo: regions resized like the pyramid reader does. */
async function photoSource(file: string) {
  const { data, info } = await sharp(file).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const source = {
    width: info.width,
    height: info.height,
    async readRegion(region: { x: number; y: number; width: number; height: number }, output?: { width: number; height: number }) {
      const outW = output?.width ?? region.width;
      const outH = output?.height ?? region.height;
      const left = Math.max(0, Math.round(region.x));
      const top = Math.max(0, Math.round(region.y));
      const w = Math.min(info.width - left, Math.round(region.width));
      const h = Math.min(info.height - top, Math.round(region.height));
      const img = sharp(data, { raw: { width: info.width, height: info.height, channels: 3 } }).extract({ left, top, width: w, height: h });
      const raw = await (w === outW && h === outH ? img : img.resize(outW, outH, { fit: 'fill', kernel: 'lanczos3' })).raw().toBuffer();
      return { data: new Uint8Array(raw.buffer, raw.byteOffset, raw.length), width: outW, height: outH, channels: 3 };
    },
  };
  return source;
}

async function main(): Promise<void> {
  const job = JSON.parse(await fs.readFile(process.argv[2], 'utf8')) as Job;
  const sessionManager = new SessionManager(() => ({ provider: 'cpu', deviceId: 0, intraOpThreads: 1 }), path.join(REPO, 'assets', 'onnx', 'probe-conv.onnx'));
  const registry = new ModelRegistry(path.join(REPO, 'models'), path.join(job.out, 'no-user-models'), sessionManager);
  await registry.scan();
  const params = { samples: job.samples, seed: job.seed, temperature: job.temperature };
  const timing: Record<string, number> = {};
  for (const modelId of job.models) {
    const cfg = picConfig(registry.get(modelId));
    const sessions = await picSessions(registry, cfg);
    await fs.mkdir(path.join(job.out, modelId), { recursive: true });
    let sampleMs = 0;
    for (const [i, p] of job.photos.entries()) {
      const reader = (await photoSource(p.file)) as unknown as PyramidReader;
      const photo = await samplePhoto(reader, sessions, cfg, params);
      sampleMs += photo.timing.sampleMs;
      const frames = [await renderRgb(reader, photo, photo.previewGrid, reader.width, reader.height)];
      for (const g of photo.grids) frames.push(await renderRgb(reader, photo, g, reader.width, reader.height));
      const all = Buffer.concat(frames.map((f) => Buffer.from(f.buffer, f.byteOffset, f.length)));
      await fs.writeFile(path.join(job.out, modelId, `${p.id}.rgb`), all);
      const grids = new Float32Array(photo.grids.length * photo.grids[0].length);
      photo.grids.forEach((g, n) => grids.set(g, n * g.length));
      await fs.writeFile(path.join(job.out, modelId, `${p.id}.grid.f32`), Buffer.from(grids.buffer));
      if ((i + 1) % 10 === 0) process.stderr.write(`[app] ${modelId} ${i + 1}/${job.photos.length}\n`);
    }
    timing[modelId] = sampleMs / job.photos.length;
  }
  const wanted = job.photos.filter((p) => p.faces);
  if (wanted.length) {
    const detector = registry.get(FACE_DETECTOR_MODEL);
    const attributes = registry.get(FACE_ATTRIBUTES_MODEL);
    const models = {
      detector: await registry.session(FACE_DETECTOR_MODEL, 'main'),
      detectorConfig: detectorConfig(detector),
      attributes: await registry.session(FACE_ATTRIBUTES_MODEL, 'main'),
      attributeConfig: attributeConfig(attributes),
    };
    const faces: Record<string, number[][]> = {};
    const ctx = { progress: () => undefined, throwIfCancelled: () => undefined };
    for (const p of wanted) {
      const source = await photoSource(p.file);
      const threshold = models.detectorConfig.scoreThreshold;
      const found = await detectFacesIn(source, models, { threshold, floor: threshold, minFace: defaultMinFace(source.width, source.height) }, ctx);
      faces[p.id] = found.faces.map((f) => [...f.box, f.score]);
    }
    await fs.writeFile(path.join(job.out, 'faces.json'), JSON.stringify(faces));
  }
  await fs.writeFile(path.join(job.out, `timing-${job.models.join('+')}.json`), JSON.stringify({ sampleMsPerPhoto: timing }));
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
