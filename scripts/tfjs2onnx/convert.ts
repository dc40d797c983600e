// Graph walker: TFJS graph model -> ONNX graph (opset 17).
import { basename } from 'node:path';
import { readTfjsModel, signatureOf, parseInputRef, dimsOf, attrType, type TfjsModel, type TfNode } from './tfjs-model.js';
import { GraphBuilder, type Dim, type OnnxModel } from './onnx-builder.js';
import { ConversionContext, ConversionError, type ConvertOptions, type Layout, type Value } from './context.js';
import { TRANSLATORS, supportedOps } from './ops/index.js';
import { writeModel } from './writer.js';

export { ConversionError, type ConvertOptions };

export interface GraphIO {
  /** TF tensor name, e.g. "input_1:0" or "Identity_2:0". */
  tf: string;
  /** ONNX tensor name. */
  name: string;
  type: 'float32' | 'int64';
  shape: Dim[];
}

export interface TranslateOptions extends ConvertOptions {
  /** Prefix for all created names (several models in one graph). */
  prefix?: string;
  /** Feed TF placeholders from existing ONNX tensors instead of graph inputs. */
  bindInputs?: Record<string, { name: string; layout: Layout; shape: number[] }>;
  /** Register outputs as graph outputs (default true). */
  registerOutputs?: boolean;
}

function stripIndex(t: string): string {
  return t.replace(/:0$/, '');
}

function naturalCompare(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

/** Output tensors: the signature's, else every non-constant node nobody consumes. */
function findOutputs(model: TfjsModel): { tf: string; friendly: string }[] {
  const sig = signatureOf(model.json)?.outputs;
  if (sig && Object.keys(sig).length) {
    return Object.entries(sig)
      .map(([key, e]) => ({ tf: e.name.includes(':') ? e.name : `${e.name}:0`, friendly: /:\d+$/.test(key) ? stripIndex(key) : key }))
      .sort((p, q) => naturalCompare(stripIndex(p.tf), stripIndex(q.tf)));
  }
  const consumed = new Set<string>();
  for (const n of model.json.modelTopology.node) for (const i of n.input ?? []) {
    const r = parseInputRef(i);
    if (r) consumed.add(r.node);
  }
  return model.json.modelTopology.node
    .filter((n) => !consumed.has(n.name) && !['Const', 'NoOp', 'Placeholder'].includes(n.op))
    .map((n) => ({ tf: `${n.name}:0`, friendly: n.name }));
}

/** Nodes needed for `outputs`, producers before consumers. */
function topoOrder(byName: Map<string, TfNode>, outputs: string[]): TfNode[] {
  const order: TfNode[] = [];
  const state = new Map<string, 1 | 2>();
  const visit = (name: string, from: string) => {
    const s = state.get(name);
    if (s === 2) return;
    if (s === 1) throw new ConversionError(`cycle in the graph at node "${name}"`);
    const node = byName.get(name);
    if (!node) throw new ConversionError(`node "${from}" refers to missing node "${name}"`);
    state.set(name, 1);
    for (const ref of node.input ?? []) {
      const r = parseInputRef(ref);
      if (r) visit(r.node, name);
    }
    state.set(name, 2);
    order.push(node);
  };
  for (const o of outputs) visit(parseInputRef(o)!.node, '<outputs>');
  return order;
}

function symbolicShape(shape: number[], base: string): Dim[] {
  return shape.map((d, i) => (d >= 0 ? d : i === 0 ? 'N' : `${base}_d${i}`));
}

/** Translates a TFJS model into `b`; returns the graph inputs and outputs it created/used. */
export function translateModel(model: TfjsModel, b: GraphBuilder, opts: TranslateOptions = {}): { inputs: GraphIO[]; outputs: GraphIO[] } {
  const ctx = new ConversionContext(b, opts, opts.prefix ?? '');
  const byName = new Map(model.json.modelTopology.node.map((n) => [n.name, n]));
  const outputs = findOutputs(model);
  if (!outputs.length) throw new ConversionError(`${model.path}: the graph has no outputs`);
  const sigInputs = signatureOf(model.json)?.inputs ?? {};
  const inputs: GraphIO[] = [];
  // Output names are reserved first so no intermediate tensor can take them.
  const outNames = outputs.map((o) => {
    const name = opts.outputNames?.[o.tf] ?? opts.outputNames?.[stripIndex(o.tf)] ?? (opts.prefix ?? '') + o.friendly;
    b.reserve(name);
    return name;
  });

  for (const node of topoOrder(byName, outputs.map((o) => o.tf))) {
    if (node.op === 'NoOp') continue;
    if (node.op === 'Const') {
      const w = model.weights.get(node.name);
      if (!w) throw new ConversionError(`Const node "${node.name}" has no weights in the manifest`);
      const v: Value =
        w.dtype === 'float32'
          ? ctx.constant(w.data as Float32Array, w.shape, 'float32', node.name)
          : ctx.constant(Array.from(w.data), w.shape, 'int64', node.name);
      ctx.values.set(ctx.key(node.name), v);
      continue;
    }
    if (node.op === 'Placeholder') {
      const dtype = attrType(node, 'dtype', 'DT_FLOAT');
      if (dtype !== 'DT_FLOAT') throw new ConversionError(`input "${node.name}" has dtype ${dtype}; only float32 inputs are supported`);
      const sig = Object.values(sigInputs).find((e) => stripIndex(e.name) === node.name);
      let shape = dimsOf(sig?.tensorShape) ?? dimsOf(node.attr?.shape?.shape);
      if (!shape) throw new ConversionError(`input "${node.name}" has no known shape`);
      if (opts.dynamicBatch && shape.length > 0) shape = [-1, ...shape.slice(1)];
      const bound = opts.bindInputs?.[node.name];
      if (bound) {
        ctx.values.set(ctx.key(node.name), ctx.tensor(bound.name, bound.shape, bound.layout));
        continue;
      }
      const name = opts.inputNames?.[node.name] ?? node.name;
      const nchw = (opts.inputLayout ?? 'nchw') === 'nchw' && shape.length === 4;
      const declared = nchw ? [shape[0], shape[3], shape[1], shape[2]] : shape;
      const io: GraphIO = { tf: `${node.name}:0`, name, type: 'float32', shape: symbolicShape(declared, name) };
      b.addInput({ name, type: 'float32', shape: io.shape });
      inputs.push(io);
      ctx.values.set(ctx.key(node.name), ctx.tensor(name, shape, nchw ? 'nchw' : 'tf'));
      continue;
    }
    const translate = TRANSLATORS[node.op];
    if (!translate) {
      throw new ConversionError(
        `unsupported TensorFlow op "${node.op}" in node "${node.name}" of ${basename(model.path)}; ` +
          `the converter knows: ${supportedOps().join(', ')}`,
      );
    }
    const args: Value[] = [];
    for (const ref of node.input ?? []) {
      const r = parseInputRef(ref);
      if (!r) continue;
      const v = ctx.values.get(ctx.key(r.node, r.index));
      if (!v) throw new ConversionError(`node "${node.name}" (op ${node.op}): input "${ref}" has no value (multi-output ops other than index 0 are not supported)`);
      args.push(v);
    }
    const result = translate(node, args, ctx);
    const list = Array.isArray(result) ? result : [result];
    list.forEach((v, k) => ctx.values.set(ctx.key(node.name, k), v));
  }

  const outs: GraphIO[] = [];
  for (const [k, o] of outputs.entries()) {
    const r = parseInputRef(o.tf)!;
    const v = ctx.values.get(ctx.key(r.node, r.index));
    if (!v) throw new ConversionError(`output "${o.tf}" was not produced`);
    const name = outNames[k];
    // Outputs always leave in TF layout, so their shapes match the original model.
    b.node('Identity', [ctx.asTF(v)], { outputs: [name], name: `${name}/identity` });
    const io: GraphIO = { tf: o.tf, name, type: v.dtype, shape: symbolicShape(v.shape, name) };
    if (opts.registerOutputs ?? true) b.addOutput({ name, type: v.dtype, shape: io.shape });
    outs.push(io);
  }
  return { inputs, outputs: outs };
}

export interface Converted {
  model: OnnxModel;
  inputs: GraphIO[];
  outputs: GraphIO[];
}

export function convertTfjsModel(model: TfjsModel, opts: ConvertOptions = {}): Converted {
  const b = new GraphBuilder();
  const { inputs, outputs } = translateModel(model, b, opts);
  const json = model.json;
  const onnxModel = b.toModel({
    graphName: basename(model.path).replace(/\.json$/, ''),
    doc: `Converted from the TensorFlow.js graph model ${basename(model.path)} by scripts/tfjs2onnx (iriscope).`,
    metadata: {
      source: basename(model.path),
      ...(json.generatedBy ? { generatedBy: json.generatedBy } : {}),
      ...(json.convertedBy ? { convertedBy: json.convertedBy } : {}),
      inputLayout: opts.inputLayout ?? 'nchw',
    },
  });
  return { model: onnxModel, inputs, outputs };
}

export function convertFile(modelJsonPath: string, outPath: string, opts: ConvertOptions = {}): Converted & { bytes: Uint8Array } {
  const converted = convertTfjsModel(readTfjsModel(modelJsonPath), opts);
  const bytes = writeModel(converted.model, outPath);
  return { ...converted, bytes };
}
