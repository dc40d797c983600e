// A small ONNX graph builder on top of the onnx-proto (protobufjs) message types.
// Keeps node order topological by construction: a node can only name tensors
// that already exist when it is added.
import onnxProto from 'onnx-proto';

export const { onnx } = onnxProto;
export type OnnxModel = onnxProto.onnx.IModelProto;
type INodeProto = onnxProto.onnx.INodeProto;
type ITensorProto = onnxProto.onnx.ITensorProto;
type IValueInfoProto = onnxProto.onnx.IValueInfoProto;
type IAttributeProto = onnxProto.onnx.IAttributeProto;

export const OPSET = 17;
export const IR_VERSION = 8;

export type ElemType = 'float32' | 'int64' | 'float16' | 'uint8' | 'bool';
const ELEM: Record<ElemType, number> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  int64: onnx.TensorProto.DataType.INT64,
  float16: onnx.TensorProto.DataType.FLOAT16,
  uint8: onnx.TensorProto.DataType.UINT8,
  bool: onnx.TensorProto.DataType.BOOL,
};
export function elemTypeCode(t: ElemType): number {
  return ELEM[t];
}

/** Attribute values, tagged so ints and floats are never confused. */
export type Attr =
  | { i: number }
  | { f: number }
  | { s: string }
  | { ints: number[] }
  | { floats: number[] };
export const A = {
  i: (v: number): Attr => ({ i: v }),
  f: (v: number): Attr => ({ f: v }),
  s: (v: string): Attr => ({ s: v }),
  ints: (v: number[]): Attr => ({ ints: v }),
  floats: (v: number[]): Attr => ({ floats: v }),
};

function encodeAttr(name: string, a: Attr): IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if ('i' in a) return { name, type: T.INT, i: a.i };
  if ('f' in a) return { name, type: T.FLOAT, f: a.f };
  if ('s' in a) return { name, type: T.STRING, s: new TextEncoder().encode(a.s) };
  if ('ints' in a) return { name, type: T.INTS, ints: a.ints };
  return { name, type: T.FLOATS, floats: a.floats };
}

export type Dim = number | string;

export interface TensorInfo {
  name: string;
  type: ElemType;
  shape: Dim[];
}

function valueInfo(t: TensorInfo): IValueInfoProto {
  return {
    name: t.name,
    type: {
      tensorType: {
        elemType: ELEM[t.type],
        shape: { dim: t.shape.map((d) => (typeof d === 'number' && d >= 0 ? { dimValue: d } : { dimParam: String(d) })) },
      },
    },
  };
}

function rawBytes(type: ElemType, data: ArrayLike<number>): Uint8Array {
  if (type === 'float32') return new Uint8Array(Float32Array.from(data).buffer);
  if (type === 'int64') {
    const a = new BigInt64Array(data.length);
    for (let i = 0; i < data.length; i++) a[i] = BigInt(Math.trunc(data[i]));
    return new Uint8Array(a.buffer);
  }
  if (type === 'float16') return new Uint8Array(Uint16Array.from(data).buffer); // data already half bits
  return Uint8Array.from(data);
}

export class GraphBuilder {
  readonly nodes: INodeProto[] = [];
  readonly initializers: ITensorProto[] = [];
  readonly inputs: TensorInfo[] = [];
  readonly outputs: TensorInfo[] = [];
  private readonly used = new Set<string>();
  private readonly nodeNames = new Set<string>();
  private readonly constCache = new Map<string, string>();
  private opCounter = 0;

  /** A fresh tensor/node name derived from `base`. */
  name(base: string): string {
    let n = base;
    let k = 1;
    while (this.used.has(n)) n = `${base}_${k++}`;
    this.used.add(n);
    return n;
  }

  /** Reserve an exact name (graph inputs/outputs); fails if it is taken. */
  reserve(name: string): string {
    if (this.used.has(name)) throw new Error(`ONNX tensor name "${name}" is already used`);
    this.used.add(name);
    return name;
  }

  addInput(info: TensorInfo): string {
    this.reserve(info.name);
    this.inputs.push(info);
    return info.name;
  }

  addOutput(info: TensorInfo): void {
    this.outputs.push(info);
  }

  /** Adds a node; returns its output names (fresh unless given). */
  node(op: string, inputs: string[], opts: { outputs?: string[] | number; attrs?: Record<string, Attr>; name?: string } = {}): string[] {
    // Node names live in their own namespace (ONNX keeps them apart from tensor names).
    const base = opts.name ?? `${op}_${this.opCounter++}`;
    let nodeName = base;
    for (let k = 1; this.nodeNames.has(nodeName); k++) nodeName = `${base}_${k}`;
    this.nodeNames.add(nodeName);
    let outs: string[];
    if (Array.isArray(opts.outputs)) outs = opts.outputs;
    else {
      const count = opts.outputs ?? 1;
      outs = [];
      for (let k = 0; k < count; k++) outs.push(this.name(count === 1 ? `${nodeName}:0` : `${nodeName}:${k}`));
    }
    const attribute = Object.entries(opts.attrs ?? {}).map(([k, v]) => encodeAttr(k, v));
    this.nodes.push({ opType: op, name: nodeName, input: inputs, output: outs, attribute });
    return outs;
  }

  /** Single-output convenience. */
  op(op: string, inputs: string[], attrs?: Record<string, Attr>, name?: string): string {
    return this.node(op, inputs, { attrs, name })[0];
  }

  initializer(base: string, type: ElemType, dims: number[], data: ArrayLike<number>): string {
    const name = this.name(base);
    this.initializers.push({ name, dataType: ELEM[type], dims, rawData: rawBytes(type, data) });
    return name;
  }

  /** Small constants are shared by value (shape vectors, axes, scalars). */
  constant(type: ElemType, dims: number[], data: ArrayLike<number>, base = 'const'): string {
    if (data.length > 64) return this.initializer(base, type, dims, data);
    const key = `${type}|${dims.join(',')}|${Array.from(data).join(',')}`;
    const hit = this.constCache.get(key);
    if (hit) return hit;
    const name = this.initializer(base, type, dims, data);
    this.constCache.set(key, name);
    return name;
  }

  i64(values: number[], base = 'i64'): string {
    return this.constant('int64', [values.length], values, base);
  }

  f32Scalar(v: number, base = 'f32'): string {
    return this.constant('float32', [], [v], base);
  }

  toModel(meta: { graphName: string; producer?: string; doc?: string; metadata?: Record<string, string> }): OnnxModel {
    return {
      irVersion: IR_VERSION,
      producerName: meta.producer ?? 'iriscope-tfjs2onnx',
      producerVersion: '1.0.0',
      docString: meta.doc,
      opsetImport: [{ domain: '', version: OPSET }],
      metadataProps: Object.entries(meta.metadata ?? {}).map(([key, value]) => ({ key, value })),
      graph: {
        name: meta.graphName,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs.map(valueInfo),
        output: this.outputs.map(valueInfo),
      },
    };
  }
}
