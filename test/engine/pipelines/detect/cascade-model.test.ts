/**
 * The TypeScript cascade with the real ONNX graphs against the Python
 * reference cascade with the PyTorch models, on committed CI tiles
 * (fixtures from scripts/odgi/cascade_fixture.py --ckpt ... --model models/<id>).
 * The image is resampled exactly as the reference does (test/helpers/odgi-reference.ts),
 * so stage-1 outputs, crops and final detections must agree to within the
 * ONNX-vs-PyTorch tolerance. A fixture applies only to the model whose ONNX
 * hashes it records; other installed versions are reported as skipped.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { refineCascade, runStage1Pass } from '../../../../electron/engine/pipelines/detect/cascade';
import { DetectorRunner } from '../../../../electron/engine/pipelines/detect/detector';
import { FALLBACK_THRESHOLDS, detectorConfig, stage1Config } from '../../../../electron/engine/pipelines/detect/models';
import { iou, type XYXY } from '../../../../electron/engine/pipelines/detect/nms';
import { REPO_ROOT } from '../../../helpers/fixtures';
import { loadFloatImage, referenceSource } from '../../../helpers/odgi-reference';
import { ctx, type PyStage1 } from '../../../helpers/detect';

interface ModelFixture {
  model: string;
  files: Record<string, string>;
  params: typeof FALLBACK_THRESHOLDS;
  tiles: Array<{
    file: string;
    size: number;
    stage1: PyStage1;
    keep: Array<{ box: number[]; score: number; cls: number; idx: number }>;
    crops: Array<{ box: number[]; score: number; idx: number }>;
    final: Array<{ box: number[]; score: number; cls: number; stage: string }>;
    final_floor: number;
  }>;
}

// Overridable for trying a fixture of a model that is not installed yet.
const DIR = process.env.DETECT_FIXTURES_DIR ?? path.join(REPO_ROOT, 'test/fixtures/detect');
const MODELS = process.env.DETECT_MODELS_DIR ?? path.join(REPO_ROOT, 'models');
const fixtures = existsSync(DIR) ? readdirSync(DIR).filter((f) => /^cascade-(?!reference).*\.json$/.test(f)) : [];
const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

function loadedModel(id: string) {
  const dir = path.join(MODELS, id);
  const manifest = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
  return { manifest, dir, info: { id, name: manifest.name, valid: true } } as never;
}

describe('cascade with the real models vs the Python reference on CI tiles', () => {
  for (const name of fixtures) {
    const fx = JSON.parse(readFileSync(path.join(DIR, name), 'utf8')) as ModelFixture;
    const dir = path.join(MODELS, fx.model);
    const installed = existsSync(path.join(dir, 'manifest.json'));
    const same = installed && Object.entries(fx.files).every(([f, h]) => existsSync(path.join(dir, f)) && sha(path.join(dir, f)) === h);

    it.skipIf(!same)(`${fx.model}: stage 1, crops and final detections match the reference (${fx.tiles.length} tiles)`, async () => {
      const model = loadedModel(fx.model);
      const s1 = stage1Config(model);
      const dc = detectorConfig(model);
      const opts = { executionProviders: ['cpu'], intraOpNumThreads: 2 } as ort.InferenceSession.SessionOptions;
      const stage1Session = await ort.InferenceSession.create(path.join(dir, 'stage1.onnx'), opts);
      const stage2Session = await ort.InferenceSession.create(path.join(dir, 'stage2.onnx'), opts);
      const t = { ...FALLBACK_THRESHOLDS, ...fx.params };
      let matched = 0;
      let compared = 0;
      try {
        for (const tile of fx.tiles) {
          const img = await loadFloatImage(path.join(REPO_ROOT, 'test/fixtures/aerial', tile.file));
          const source = referenceSource(img);
          const models = { stage1: s1, stage1Session, detector: new DetectorRunner(dc, stage2Session) };
          const state = await runStage1Pass(source, models, ctx);
          // Stage 1: the ONNX outputs on the reference input.
          const got = state.tiles[0];
          let maxErr = 0;
          tile.stage1.conf.forEach((v, i) => (maxErr = Math.max(maxErr, Math.abs(v - got.conf[i]))));
          tile.stage1.boxes.flat().forEach((v, i) => (maxErr = Math.max(maxErr, Math.abs(v - got.boxes[i]))));
          tile.stage1.offsets.flat().forEach((v, i) => (maxErr = Math.max(maxErr, Math.abs(v - got.offsets[i]))));
          expect(maxErr, `${tile.file} stage-1 max abs difference`).toBeLessThan(2e-3);

          source.mode = 'crop';
          const out = await refineCascade(state, source, models, t, ctx);
          // Crops: the same cells, the same squares.
          expect(out.crops.length, `${tile.file} crops`).toBe(tile.crops.length);
          out.crops.forEach((c, i) => c.box.forEach((v, j) => expect(Math.abs(v - tile.crops[i].box[j] * tile.size), `${tile.file} crop ${i}`).toBeLessThan(0.5)));
          expect(out.detections.filter((d) => d.stage === 'shortcut').length).toBe(tile.keep.length);

          // Final detections above the fixture's floor: each reference box has a twin.
          const mine = out.detections.filter((d) => d.score >= tile.final_floor + 2e-3);
          const used = new Set<number>();
          for (const ref of tile.final.filter((d) => d.score >= tile.final_floor + 2e-3)) {
            compared++;
            const box = ref.box.map((v) => v * tile.size) as XYXY;
            let best = -1;
            let bestIou = 0;
            mine.forEach((d, k) => {
              if (used.has(k)) return;
              const v = iou(d.box, box);
              if (v > bestIou) {
                bestIou = v;
                best = k;
              }
            });
            if (best >= 0 && bestIou > 0.95 && Math.abs(mine[best].score - ref.score) < 5e-3 && mine[best].stage === ref.stage) {
              used.add(best);
              matched++;
            }
          }
        }
      } finally {
        await stage1Session.release();
        await stage2Session.release();
      }
      expect(compared).toBeGreaterThan(10);
      expect(matched / compared, `${matched} of ${compared} reference detections reproduced`).toBeGreaterThan(0.97);
    });
  }

  it('has a model-level fixture for an installed model (or says why not)', () => {
    // Not a failure while no model is installed: the logic cases above still run.
    const odgi = existsSync(MODELS) ? readdirSync(MODELS).filter((d) => d.startsWith('odgi-')) : [];
    if (!odgi.length) return;
    expect(fixtures.length, `no test/fixtures/detect/cascade-<id>.json for ${odgi.join(', ')}: run scripts/odgi/cascade_fixture.py`).toBeGreaterThan(0);
  });
});
