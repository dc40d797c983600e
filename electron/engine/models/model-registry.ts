import { createHash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { z } from 'zod';
import type { ModelInfo, ProviderName } from '../../common/contract';
import { IriscopeError, toErrorInfo } from '../../common/errors';
import { fsError } from '../fs/fs-errors';
import type { InferenceSession, SessionManager } from '../runtime/session-manager';
import { ManifestSchema, type GraphSpec, type Manifest, type TensorSpec } from './manifest-schema';

export interface LoadedModel {
  manifest: Manifest;
  dir: string;
  info: ModelInfo;
}

/**
 * The models Iriscope can run: the built-in `models/` folder and the user's
 * imported ones. Each manifest is validated, every file's sha256 is checked
 * against it, and each session's inputs/outputs against the graph signature.
 * A model that fails any check stays listed, marked invalid, with the reason.
 */
export class ModelRegistry {
  private models = new Map<string, LoadedModel>();
  private readonly hashCache = new Map<string, { size: number; mtimeMs: number; sha256: string }>();
  private readonly checkedSignatures = new Set<string>();

  constructor(
    private readonly builtinDir: string,
    private readonly userDir: string,
    private readonly sessions: SessionManager,
  ) {}

  get dirs(): string[] {
    return [this.builtinDir, this.userDir];
  }

  async scan(): Promise<ModelInfo[]> {
    const found = new Map<string, LoadedModel>();
    for (const [root, builtin] of [[this.builtinDir, true], [this.userDir, false]] as const) {
      let names: string[] = [];
      try {
        names = (await fs.readdir(root, { withFileTypes: true })).filter((d) => d.isDirectory() && !d.name.startsWith('.') && !d.name.startsWith('_')).map((d) => d.name);
      } catch {
        continue;
      }
      for (const name of names.sort()) {
        const loaded = await this.load(path.join(root, name), builtin);
        // A user model never shadows a built-in one with the same id.
        if (!found.has(loaded.info.id)) found.set(loaded.info.id, loaded);
      }
    }
    this.models = found;
    return this.list();
  }

  list(): ModelInfo[] {
    return [...this.models.values()].map((m) => m.info);
  }

  /** A valid model by id, or a typed error saying why it cannot be used. */
  get(id: string): LoadedModel {
    const model = this.models.get(id);
    if (!model) throw new IriscopeError({ code: 'MODEL_NOT_FOUND', message: `No model "${id}" is installed.`, hint: 'See the Models list in Settings, or import the model.' });
    if (!model.info.valid && model.info.error) throw new IriscopeError(model.info.error);
    return model;
  }

  /** An onnxruntime session for one graph of a model, its signature checked once. */
  async session(id: string, graphName: string): Promise<InferenceSession> {
    const model = this.get(id);
    const graph = model.manifest.graphs[graphName];
    if (!graph) throw new IriscopeError({ code: 'MODEL_INVALID', message: `The model "${id}" has no graph "${graphName}".` });
    const file = path.join(model.dir, graph.file);
    const session = await this.sessions.get({ model: id, graph: graphName, file, prefer: graph.preferProviders as ProviderName[] | undefined });
    const key = `${id}\0${graphName}`;
    if (!this.checkedSignatures.has(key)) {
      checkSignature(model.manifest, graphName, graph, session);
      this.checkedSignatures.add(key);
    }
    return session;
  }

  /**
   * Validates a model folder completely (manifest, hashes, and a session per
   * graph on CPU) and then copies it into the user's models folder.
   */
  async import(folder: string): Promise<ModelInfo> {
    const source = path.resolve(folder);
    const stat = await fs.stat(source).catch((error) => {
      throw fsError(error, source);
    });
    const dir = stat.isDirectory() ? source : path.dirname(source);
    const loaded = await this.load(dir, false);
    if (!loaded.info.valid) throw new IriscopeError(loaded.info.error!);
    if (this.models.get(loaded.info.id)?.info.builtin) {
      throw new IriscopeError({ code: 'MODEL_INVALID', message: `A built-in model is already called "${loaded.info.id}".`, hint: 'Give the imported model another id in its manifest.' });
    }
    for (const [name, graph] of Object.entries(loaded.manifest.graphs)) {
      const session = await ort.InferenceSession.create(path.join(dir, graph.file), { executionProviders: ['cpu'], logSeverityLevel: 3 }).catch((error: unknown) => {
        throw new IriscopeError({ code: 'MODEL_INVALID', message: `onnxruntime cannot load "${graph.file}" of the model "${loaded.info.id}".`, detail: String((error as Error)?.message ?? error) });
      });
      try {
        checkSignature(loaded.manifest, name, graph, session);
      } finally {
        await session.release();
      }
    }
    const target = path.join(this.userDir, loaded.info.id);
    const staging = `${target}.importing-${process.pid}`;
    await fs.mkdir(this.userDir, { recursive: true });
    await fs.rm(staging, { recursive: true, force: true });
    try {
      await fs.mkdir(staging);
      await fs.copyFile(path.join(dir, 'manifest.json'), path.join(staging, 'manifest.json'));
      for (const file of loaded.manifest.files) {
        await fs.mkdir(path.dirname(path.join(staging, file.path)), { recursive: true });
        await fs.copyFile(path.join(dir, file.path), path.join(staging, file.path));
      }
      // The model's licence and card travel with it: its terms must stay beside its weights.
      for (const extra of await fs.readdir(dir)) {
        if (/^(LICEN[CS]E|COPYING|NOTICE|MODEL_CARD|README)(\.(md|txt))?$/i.test(extra)) await fs.copyFile(path.join(dir, extra), path.join(staging, extra)).catch(() => undefined);
      }
      await fs.rm(target, { recursive: true, force: true });
      await fs.rename(staging, target);
    } catch (error) {
      await fs.rm(staging, { recursive: true, force: true });
      throw fsError(error, target, 'write');
    }
    await this.scan();
    return this.get(loaded.info.id).info;
  }

  private async load(dir: string, builtin: boolean): Promise<LoadedModel> {
    const folderId = path.basename(dir);
    const base: ModelInfo = {
      id: folderId, name: folderId, task: 'unknown', version: '', license: '', source: '', description: '',
      dir, builtin, sizeBytes: 0, graphs: [], gsd: null, valid: false, error: null,
    };
    let manifest: Manifest;
    try {
      const text = await fs.readFile(path.join(dir, 'manifest.json'), 'utf8').catch((error) => {
        throw fsError(error, path.join(dir, 'manifest.json'));
      });
      let raw: unknown;
      try {
        raw = JSON.parse(text);
      } catch (error) {
        throw new IriscopeError({ code: 'MODEL_INVALID', message: `The manifest of the model in "${folderId}" is not valid JSON.`, detail: (error as Error).message });
      }
      const parsed = ManifestSchema.safeParse(raw);
      if (!parsed.success) {
        throw new IriscopeError({ code: 'MODEL_INVALID', message: `The manifest of the model in "${folderId}" is invalid.`, detail: z.prettifyError(parsed.error) });
      }
      manifest = parsed.data;
    } catch (error) {
      return { manifest: undefined as unknown as Manifest, dir, info: { ...base, error: toErrorInfo(error) } };
    }

    const info: ModelInfo = {
      ...base,
      id: manifest.id,
      name: manifest.name,
      task: manifest.task,
      version: manifest.version,
      license: manifest.license,
      source: manifest.source,
      description: manifest.description,
      sizeBytes: manifest.files.reduce((sum, f) => sum + f.bytes, 0),
      graphs: Object.keys(manifest.graphs),
      gsd: manifest.gsd ?? null,
    };
    try {
      if (builtin && manifest.id !== folderId) {
        throw new IriscopeError({ code: 'MODEL_INVALID', message: `The model in "${folderId}" declares the id "${manifest.id}"; they must match.` });
      }
      for (const file of manifest.files) await this.verifyFile(manifest, dir, file);
      info.valid = true;
    } catch (error) {
      info.error = toErrorInfo(error);
    }
    return { manifest, dir, info };
  }

  private async verifyFile(manifest: Manifest, dir: string, file: Manifest['files'][number]): Promise<void> {
    const full = path.join(dir, file.path);
    let stat;
    try {
      stat = await fs.stat(full);
    } catch {
      throw new IriscopeError({ code: 'MODEL_INVALID', message: `The model "${manifest.name}" is missing its file "${file.path}".`, hint: 'Reinstall or re-import the model.' });
    }
    const cached = this.hashCache.get(full);
    const sha256 = cached && cached.size === stat.size && cached.mtimeMs === stat.mtimeMs ? cached.sha256 : await sha256File(full);
    this.hashCache.set(full, { size: stat.size, mtimeMs: stat.mtimeMs, sha256 });
    if (sha256 !== file.sha256 || stat.size !== file.bytes) {
      throw new IriscopeError({
        code: 'MODEL_HASH_MISMATCH',
        message: `The file "${file.path}" of the model "${manifest.name}" does not match its manifest: it was changed or damaged.`,
        detail: `expected sha256 ${file.sha256} (${file.bytes} bytes), found ${sha256} (${stat.size} bytes)`,
        hint: 'Iriscope will not run a model it cannot verify. Reinstall Iriscope or re-import the model.',
      });
    }
  }
}

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Compares a session's real inputs/outputs with the manifest's graph signature. */
export function checkSignature(manifest: Manifest, graphName: string, graph: GraphSpec, session: InferenceSession): void {
  const problems: string[] = [];
  const compare = (kind: 'input' | 'output', expected: TensorSpec[], actualMeta: readonly unknown[]) => {
    const actual = actualMeta as Array<{ name: string; isTensor: boolean; type?: string; shape?: Array<number | string> }>;
    for (const spec of expected) {
      const found = actual.find((a) => a.name === spec.name);
      if (!found) {
        problems.push(`${kind} "${spec.name}" missing (the graph has ${actual.map((a) => `"${a.name}"`).join(', ') || 'none'})`);
        continue;
      }
      if (found.type && found.type !== spec.type) problems.push(`${kind} "${spec.name}" is ${found.type}, manifest says ${spec.type}`);
      const shape = found.shape ?? [];
      if (shape.length !== spec.shape.length) {
        problems.push(`${kind} "${spec.name}" has shape [${shape.join(', ')}], manifest says [${spec.shape.join(', ')}]`);
      } else {
        spec.shape.forEach((dim, i) => {
          if (typeof dim === 'number' && typeof shape[i] === 'number' && shape[i] !== dim) {
            problems.push(`${kind} "${spec.name}" dimension ${i} is ${shape[i]}, manifest says ${dim}`);
          }
        });
      }
    }
    if (kind === 'input') {
      for (const a of actual) if (!expected.some((s) => s.name === a.name)) problems.push(`the graph needs input "${a.name}", which the manifest does not describe`);
    }
  };
  compare('input', graph.inputs, session.inputMetadata);
  compare('output', graph.outputs, session.outputMetadata);
  if (problems.length) {
    throw new IriscopeError({
      code: 'MODEL_SIGNATURE_MISMATCH',
      message: `The graph "${graphName}" of the model "${manifest.name}" does not have the inputs and outputs its manifest describes.`,
      detail: problems.join('; '),
      hint: 'The manifest does not belong to this ONNX file, or the model was exported differently. Fix the manifest and import again.',
    });
  }
}
