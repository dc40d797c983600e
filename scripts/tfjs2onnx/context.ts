// Conversion state: TF tensors become `Value`s that remember their logical TF
// shape and the physical layout of the ONNX tensor holding them.
//
// Layout policy: every rank-4 tensor is logically NHWC (TF semantics) but may
// be stored NCHW in ONNX. Convs and pools produce NCHW; elementwise ops keep
// whatever layout they get; ops whose meaning depends on axis order
// (Reshape, StridedSlice, Pack, graph outputs, ...) ask for the TF layout and
// get one cached Transpose. So a chain of convs costs no transposes at all.
import type { TfNode } from './tfjs-model.js';
import { GraphBuilder } from './onnx-builder.js';

export type Layout = 'tf' | 'nchw';
export type DType = 'float32' | 'int64';
export type Known = number | 'batch' | undefined;

export interface Value {
  /** Logical TF shape (NHWC for images); -1 where unknown (dynamic batch). */
  shape: number[];
  dtype: DType;
  /** Physical layout of `onnx`; only 'nchw' for rank-4 tensors. */
  layout: Layout;
  /** ONNX tensor name; undefined for constants not yet needed as tensors. */
  onnx?: string;
  /** Constant value in TF element order, when known at conversion time. */
  data?: Float32Array | number[];
  /**
   * Partially known small int vectors (shape arithmetic): numbers, 'batch' for
   * the symbolic batch size, undefined for anything else unknown.
   */
  known?: Known[];
  /** Cached layout views of this value. */
  views?: { tf?: string; nchw?: string };
  /** Base name for initializers materialised from this constant. */
  hint?: string;
}

/** TF axis of an NHWC tensor -> axis in the NCHW tensor. */
export const NHWC_TO_NCHW_AXIS = [0, 2, 3, 1];
/** Transpose perms. */
export const PERM_TO_NCHW = [0, 3, 1, 2];
export const PERM_TO_NHWC = [0, 2, 3, 1];

export class ConversionError extends Error {}

export interface ConvertOptions {
  /** Layout of the ONNX graph's image inputs. Default 'nchw'. */
  inputLayout?: 'nchw' | 'nhwc';
  /** Make dim 0 of the inputs symbolic ("N") even if the TF signature fixes it. */
  dynamicBatch?: boolean;
  /** TF placeholder name -> ONNX input name. */
  inputNames?: Record<string, string>;
  /** TF output ("Identity:0" or "Identity") -> ONNX output name. */
  outputNames?: Record<string, string>;
  /**
   * Where TF SAME padding puts the odd extra pixel. TF (and so every model
   * here) puts it at the end; 'start' exists only as the negative control in
   * the parity tests.
   */
  samePaddingExtra?: 'end' | 'start';
}

export function shapeSize(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function transposeData<T extends Float32Array | number[]>(data: T, shape: number[], perm: number[]): T {
  const rank = shape.length;
  const outShape = perm.map((p) => shape[p]);
  const inStrides = new Array<number>(rank);
  let s = 1;
  for (let d = rank - 1; d >= 0; d--) {
    inStrides[d] = s;
    s *= shape[d];
  }
  const n = shapeSize(shape);
  const out = (Array.isArray(data) ? new Array<number>(n) : new Float32Array(n)) as T;
  const idx = new Array<number>(rank).fill(0);
  for (let o = 0; o < n; o++) {
    let src = 0;
    for (let d = 0; d < rank; d++) src += idx[d] * inStrides[perm[d]];
    out[o] = data[src];
    for (let d = rank - 1; d >= 0; d--) {
      if (++idx[d] < outShape[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

export class ConversionContext {
  readonly values = new Map<string, Value>();

  constructor(
    readonly b: GraphBuilder,
    readonly opts: ConvertOptions,
    /** Prefix for every created name, so several models can share one graph. */
    readonly prefix = '',
  ) {}

  key(node: string, index = 0): string {
    return `${node}:${index}`;
  }

  fail(node: TfNode, msg: string): never {
    throw new ConversionError(`node "${node.name}" (op ${node.op}): ${msg}`);
  }

  /** A tensor value produced by an ONNX node. */
  tensor(onnx: string, shape: number[], layout: Layout = 'tf', dtype: DType = 'float32'): Value {
    return { onnx, shape, dtype, layout: shape.length === 4 ? layout : 'tf' };
  }

  constant(data: Float32Array | number[], shape: number[], dtype: DType, hint?: string): Value {
    return { shape, dtype, layout: 'tf', data, hint, known: dtype === 'int64' && shape.length <= 1 ? Array.from(data) : undefined };
  }

  /** The ONNX name of `v` in the requested layout (rank-4 only; others are layout-free). */
  as(v: Value, want: Layout | 'any'): string {
    if (v.onnx === undefined) {
      if (!v.data) throw new ConversionError('internal: value has neither an ONNX tensor nor constant data');
      v.onnx = this.b.initializer(this.prefix + (v.hint ?? 'const'), v.dtype, v.shape, v.data);
      v.layout = 'tf';
    }
    if (v.shape.length !== 4 || want === 'any' || want === v.layout) return v.onnx;
    v.views ??= {};
    const cached = v.views[want];
    if (cached) return cached;
    let name: string;
    if (v.data && want === 'nchw') {
      const shape = PERM_TO_NCHW.map((p) => v.shape[p]);
      name = this.b.initializer(this.prefix + (v.hint ?? 'const') + '_nchw', v.dtype, shape, transposeData(v.data, v.shape, PERM_TO_NCHW));
    } else {
      const perm = want === 'nchw' ? PERM_TO_NCHW : PERM_TO_NHWC;
      name = this.b.op('Transpose', [v.onnx], { perm: { ints: perm } }, this.prefix + `to_${want}`);
    }
    v.views[want] = name;
    return name;
  }

  asTF(v: Value): string {
    return this.as(v, 'tf');
  }

  asNCHW(v: Value): string {
    return this.as(v, 'nchw');
  }

  /** Constant float data of an input, or a clear error. */
  constFloats(node: TfNode, v: Value, what: string): Float32Array {
    if (!v.data) this.fail(node, `${what} must be a constant (weights computed at run time are not supported)`);
    return v.data instanceof Float32Array ? v.data : Float32Array.from(v.data);
  }

  /** Constant int data of an input, or a clear error. */
  constInts(node: TfNode, v: Value, what: string): number[] {
    if (!v.data) this.fail(node, `${what} must be a constant`);
    return Array.from(v.data);
  }

  /** Adds a node under this context's prefix. */
  op(op: string, inputs: string[], attrs?: Parameters<GraphBuilder['op']>[2], hint?: string): string {
    return this.b.op(op, inputs, attrs, this.prefix + (hint ?? op));
  }
}

/** Numpy/TF broadcasting of logical shapes (-1 = unknown). */
export function broadcastShapes(a: number[], b: number[]): number[] {
  const r = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < r; i++) {
    const x = a[a.length - r + i] ?? 1;
    const y = b[b.length - r + i] ?? 1;
    if (x === 1) out.push(y);
    else if (y === 1) out.push(x);
    else if (x === -1 || y === -1) out.push(x === -1 ? y : x);
    else if (x === y) out.push(x);
    else throw new ConversionError(`shapes [${a}] and [${b}] do not broadcast`);
  }
  return out;
}
