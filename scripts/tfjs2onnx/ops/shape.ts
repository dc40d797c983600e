// Ops that move data between axes or compute shapes. They all see the tensor
// in TF layout, except Pad and Concat which translate their axes to NCHW.
import { attrInt, attrIntList, attrString, attrType } from '../tfjs-model.js';
import { NHWC_TO_NCHW_AXIS, shapeSize, type Known, type Value } from '../context.js';
import type { Translator } from './types.js';

/** Largest value used for "to the end" in Slice (ONNX clamps it). */
const INT64_END = 2 ** 53 - 1;

/** Resolves a TF target shape (with at most one -1) against a known input size. */
function resolveReshape(input: number[], target: (number | undefined)[]): number[] {
  const shape = target.map((d) => (d === undefined ? -1 : d));
  const known = shapeSize(input.map((d) => (d < 0 ? NaN : d)));
  const unknownTargets = shape.filter((d) => d === -1).length;
  if (unknownTargets === 1 && Number.isFinite(known)) {
    const rest = shapeSize(shape.filter((d) => d !== -1));
    return shape.map((d) => (d === -1 ? known / rest : d));
  }
  return shape;
}

export const reshape: Translator = (node, [x, target], ctx) => {
  let shapeName: string;
  let outShape: number[];
  if (target.data) {
    const t = Array.from(target.data);
    // A fixed batch of 1 in the target becomes 0 ("copy input dim 0") when the
    // graph input was made batch-dynamic; TF never uses 0 that way, so this is safe.
    const batchCopy = ctx.opts.dynamicBatch && x.shape[0] === -1 && t[0] === 1 && !t.slice(1).includes(0);
    if (t.includes(0) && !batchCopy) ctx.fail(node, 'reshape to a zero-sized dimension is not supported');
    const onnxTarget = batchCopy ? [0, ...t.slice(1)] : t;
    shapeName = ctx.b.i64(onnxTarget, ctx.prefix + `${node.name}/shape`);
    // With a symbolic batch, a -1 can only be resolved from the per-sample size.
    outShape = batchCopy ? [-1, ...resolveReshape(x.shape.slice(1), t.slice(1))] : resolveReshape(x.shape, t);
  } else {
    shapeName = ctx.as(target, 'any');
    const k: Known[] = target.known ?? new Array<Known>(target.shape[0]).fill(undefined);
    // Keras-style [batch, ...]: the -1 is resolved from the per-sample size.
    if (k[0] === 'batch' && x.shape[0] === -1) outShape = [-1, ...resolveReshape(x.shape.slice(1), k.slice(1).map(numOrUndef))];
    else outShape = resolveReshape(x.shape, k.map(numOrUndef));
  }
  return ctx.tensor(ctx.op('Reshape', [ctx.asTF(x), shapeName], undefined, node.name), outShape, 'tf', x.dtype);
};

export const pad: Translator = (node, [x, paddingsV, constantV], ctx) => {
  const p = ctx.constInts(node, paddingsV, 'paddings');
  const rank = x.shape.length;
  const rows = Array.from({ length: rank }, (_, i) => [p[2 * i], p[2 * i + 1]]);
  const nchw = x.layout === 'nchw' && rank === 4;
  // TF rows are in NHWC order; ONNX wants [all begins..., all ends...] in storage order.
  const order = nchw ? [0, 3, 1, 2] : rows.map((_, i) => i);
  const pads = [...order.map((i) => rows[i][0]), ...order.map((i) => rows[i][1])];
  const outShape = x.shape.map((d, i) => (d < 0 ? -1 : d + rows[i][0] + rows[i][1]));
  let mode = 'constant';
  if (node.op === 'MirrorPad') {
    const m = attrString(node, 'mode');
    if (m !== 'REFLECT') ctx.fail(node, `MirrorPad mode ${m} is not supported`);
    mode = 'reflect';
  }
  const inputs = [nchw ? ctx.asNCHW(x) : ctx.asTF(x), ctx.b.i64(pads)];
  if (constantV) inputs.push(ctx.b.f32Scalar(ctx.constFloats(node, constantV, 'constant_values')[0]));
  return ctx.tensor(ctx.op('Pad', inputs, { mode: { s: mode } }, node.name), outShape, nchw ? 'nchw' : 'tf');
};

function numOrUndef(k: Known): number | undefined {
  return typeof k === 'number' ? k : undefined;
}

function sliceKnown(v: Value | undefined, start: number, end: number, step: number): Known[] | undefined {
  if (!v?.known) return undefined;
  const out: Known[] = [];
  const n = v.known.length;
  const s = start < 0 ? start + n : Math.min(start, n);
  const e = end < 0 ? end + n : Math.min(end, n);
  for (let i = s; step > 0 ? i < e : i > e; i += step) out.push(v.known[i]);
  return out;
}

export const stridedSlice: Translator = (node, [x, beginV, endV, stridesV], ctx) => {
  const begin = ctx.constInts(node, beginV, 'begin');
  const end = ctx.constInts(node, endV, 'end');
  const strides = ctx.constInts(node, stridesV, 'strides');
  const beginMask = attrInt(node, 'begin_mask', 0);
  const endMask = attrInt(node, 'end_mask', 0);
  const shrinkMask = attrInt(node, 'shrink_axis_mask', 0);
  if (attrInt(node, 'ellipsis_mask', 0) || attrInt(node, 'new_axis_mask', 0)) {
    ctx.fail(node, 'StridedSlice with ellipsis_mask or new_axis_mask is not supported');
  }
  const starts: number[] = [];
  const ends: number[] = [];
  const axes: number[] = [];
  const steps: number[] = [];
  const squeeze: number[] = [];
  const outShape: number[] = [];
  for (let i = 0; i < x.shape.length; i++) {
    const dim = x.shape[i];
    if (i >= begin.length) {
      outShape.push(dim);
      continue;
    }
    const step = strides[i];
    if (shrinkMask & (1 << i)) {
      const b = begin[i];
      starts.push(b);
      ends.push(b === -1 ? INT64_END : b + 1);
      axes.push(i);
      steps.push(1);
      squeeze.push(i);
      continue;
    }
    const b = beginMask & (1 << i) ? (step > 0 ? 0 : INT64_END) : begin[i];
    const e = endMask & (1 << i) ? (step > 0 ? INT64_END : -INT64_END) : end[i];
    starts.push(b);
    ends.push(e);
    axes.push(i);
    steps.push(step);
    if (dim < 0) outShape.push(-1);
    else {
      const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
      const bb = clamp(b < 0 ? b + dim : b, step > 0 ? 0 : -1, step > 0 ? dim : dim - 1);
      const ee = clamp(e < 0 && e > -INT64_END ? e + dim : e, step > 0 ? 0 : -1, step > 0 ? dim : dim - 1);
      outShape.push(Math.max(0, Math.ceil((ee - bb) / step)));
    }
  }
  // Constant or partially known 1-D int vectors (shape arithmetic) fold here.
  if (x.shape.length === 1 && x.known) {
    const k = sliceKnown(x, starts[0], ends[0], steps[0]);
    if (k && k.every((v) => typeof v === 'number') && x.dtype === 'int64') {
      const vals = k as number[];
      return ctx.constant(vals, squeeze.length ? [] : [vals.length], 'int64');
    }
  }
  let y = ctx.op('Slice', [ctx.asTF(x), ctx.b.i64(starts), ctx.b.i64(ends), ctx.b.i64(axes), ctx.b.i64(steps)], undefined, node.name);
  if (squeeze.length) y = ctx.op('Squeeze', [y, ctx.b.i64(squeeze)]);
  const v = ctx.tensor(y, outShape, 'tf', x.dtype);
  if (x.shape.length === 1 && x.known) {
    const k = sliceKnown(x, starts[0], ends[0], steps[0]);
    v.known = k;
  }
  return v;
};

export const expandDims: Translator = (node, [x, axisV], ctx) => {
  const axis = ctx.constInts(node, axisV, 'axis')[0];
  const rank = x.shape.length;
  const a = axis < 0 ? axis + rank + 1 : axis;
  const outShape = [...x.shape.slice(0, a), 1, ...x.shape.slice(a)];
  if (x.data) return ctx.constant(x.data, outShape, x.dtype, x.hint);
  return ctx.tensor(ctx.op('Unsqueeze', [ctx.asTF(x), ctx.b.i64([a])], undefined, node.name), outShape, 'tf', x.dtype);
};

export const squeeze: Translator = (node, [x], ctx) => {
  let axes = attrIntList(node, 'squeeze_dims', []).map((a) => (a < 0 ? a + x.shape.length : a));
  if (!axes.length) {
    if (x.shape.includes(-1)) ctx.fail(node, 'Squeeze of all unit dims needs a static shape');
    axes = x.shape.flatMap((d, i) => (d === 1 ? [i] : []));
  }
  const outShape = x.shape.filter((_, i) => !axes.includes(i));
  if (x.data) return ctx.constant(x.data, outShape, x.dtype, x.hint);
  return ctx.tensor(ctx.op('Squeeze', [ctx.asTF(x), ctx.b.i64(axes)], undefined, node.name), outShape, 'tf', x.dtype);
};

/** Shape: folded when static; otherwise ONNX Shape (+ Gather back to NHWC order). */
export const shape: Translator = (node, [x], ctx) => {
  const rank = x.shape.length;
  if (!x.shape.includes(-1)) return ctx.constant([...x.shape], [rank], 'int64');
  let y: string;
  if (x.layout === 'nchw' && rank === 4 && x.onnx !== undefined) {
    y = ctx.op('Gather', [ctx.op('Shape', [ctx.asNCHW(x)], undefined, node.name), ctx.b.i64([0, 2, 3, 1])], { axis: { i: 0 } });
  } else y = ctx.op('Shape', [ctx.asTF(x)], undefined, node.name);
  const v = ctx.tensor(y, [rank], 'tf', 'int64');
  // Dim 0 unknown is the symbolic batch (the only dynamic dim these graphs have).
  v.known = x.shape.map((d, i) => (d >= 0 ? d : i === 0 ? 'batch' : undefined));
  return v;
};

export const pack: Translator = (node, inputs, ctx) => {
  const axis0 = attrInt(node, 'axis', 0);
  const rank = inputs[0].shape.length;
  const axis = axis0 < 0 ? axis0 + rank + 1 : axis0;
  const outShape = [...inputs[0].shape.slice(0, axis), inputs.length, ...inputs[0].shape.slice(axis)];
  if (inputs.every((v) => v.data) && rank === 0) {
    return ctx.constant(inputs.map((v) => v.data![0]), outShape, inputs[0].dtype);
  }
  const parts = inputs.map((v) => ctx.op('Unsqueeze', [ctx.asTF(v), ctx.b.i64([axis])]));
  const v = ctx.tensor(ctx.op('Concat', parts, { axis: { i: axis } }, node.name), outShape, 'tf', inputs[0].dtype);
  if (rank === 0) v.known = inputs.map((i) => i.known?.[0]);
  return v;
};

export const concat: Translator = (node, inputs, ctx) => {
  const parts = inputs.slice(0, -1);
  const axis0 = ctx.constInts(node, inputs[inputs.length - 1], 'axis')[0];
  const rank = parts[0].shape.length;
  const axis = axis0 < 0 ? axis0 + rank : axis0;
  const outShape = parts[0].shape.map((d, i) => (i === axis ? parts.reduce((s, p) => (s < 0 || p.shape[i] < 0 ? -1 : s + p.shape[i]), 0) : d));
  if (rank === 1 && parts.every((p) => p.known)) {
    const known = parts.flatMap((p) => p.known!);
    if (known.every((k) => typeof k === 'number')) return ctx.constant(known as number[], outShape, parts[0].dtype);
  }
  const nchw = rank === 4 && parts.every((p) => p.layout === 'nchw' || p.data);
  const names = parts.map((p) => (nchw ? ctx.asNCHW(p) : ctx.asTF(p)));
  const v = ctx.tensor(ctx.op('Concat', names, { axis: { i: nchw ? NHWC_TO_NCHW_AXIS[axis] : axis } }, node.name), outShape, nchw ? 'nchw' : 'tf', parts[0].dtype);
  if (rank === 1) v.known = parts.flatMap((p) => p.known ?? new Array<Known>(Math.max(p.shape[0], 0)).fill(undefined));
  return v;
};

/** TF int32 is carried as ONNX int64 throughout (shape ops need int64). */
export const cast: Translator = (node, [x], ctx) => {
  const dst = attrType(node, 'DstT');
  const to = dst === 'DT_FLOAT' ? 'float32' : dst === 'DT_INT32' || dst === 'DT_INT64' ? 'int64' : undefined;
  if (!to) return ctx.fail(node, `Cast to ${dst} is not supported`);
  if (to === x.dtype) return x;
  const code = to === 'float32' ? 1 : 7;
  const y = ctx.op('Cast', [ctx.as(x, 'any')], { to: { i: code } }, node.name);
  return ctx.tensor(y, x.shape, x.layout, to);
};

export function isIntType(t: string | undefined): boolean {
  return t === 'DT_INT32' || t === 'DT_INT64';
}

