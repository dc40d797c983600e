// Reductions (Mean, Max, ...) and Softmax, done in NCHW when the result's
// axis order is the same either way (e.g. global pooling over H,W).
import { attrBool } from '../tfjs-model.js';
import { NHWC_TO_NCHW_AXIS } from '../context.js';
import type { Translator } from './types.js';

const ONNX_REDUCE: Record<string, string> = {
  Mean: 'ReduceMean',
  Max: 'ReduceMax',
  Min: 'ReduceMin',
  Sum: 'ReduceSum',
  Prod: 'ReduceProd',
};

function normAxes(axes: number[], rank: number): number[] {
  return [...new Set(axes.map((a) => (a < 0 ? a + rank : a)))].sort((p, q) => p - q);
}

export const reduce: Translator = (node, [x, axesV], ctx) => {
  const rank = x.shape.length;
  const axes = normAxes(ctx.constInts(node, axesV, 'reduction_indices'), rank);
  const keep = attrBool(node, 'keep_dims');
  const outShape = keep ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !axes.includes(i));
  // NCHW is usable if dropping the axes leaves the kept dims in TF order.
  let useNchw = x.layout === 'nchw' && rank === 4;
  if (useNchw && !keep) {
    const keptTf = [0, 1, 2, 3].filter((a) => !axes.includes(a));
    const keptNchw = [0, 1, 2, 3].filter((p) => !axes.map((a) => NHWC_TO_NCHW_AXIS[a]).includes(p));
    const tfOfNchw = [0, 3, 1, 2]; // NCHW position -> TF axis
    useNchw = keptNchw.map((p) => tfOfNchw[p]).join() === keptTf.join();
  }
  const onnxAxes = useNchw ? axes.map((a) => NHWC_TO_NCHW_AXIS[a]) : axes;
  const input = useNchw ? ctx.asNCHW(x) : ctx.asTF(x);
  const op = ONNX_REDUCE[node.op];
  // Opset 17: ReduceSum takes axes as an input, the others as an attribute.
  const y =
    op === 'ReduceSum'
      ? ctx.op(op, [input, ctx.b.i64(onnxAxes)], { keepdims: { i: keep ? 1 : 0 } }, node.name)
      : ctx.op(op, [input], { axes: { ints: onnxAxes }, keepdims: { i: keep ? 1 : 0 } }, node.name);
  return ctx.tensor(y, outShape, useNchw && keep ? 'nchw' : 'tf');
};

export const reduceOps = Object.keys(ONNX_REDUCE);

/** Softmax over the last TF axis; on an NCHW tensor that is axis 1. */
export const softmax: Translator = (node, [x], ctx) => {
  const op = node.op === 'LogSoftmax' ? 'LogSoftmax' : 'Softmax';
  const nchw = x.layout === 'nchw' && x.shape.length === 4 && x.onnx !== undefined;
  const y = ctx.op(op, [nchw ? ctx.asNCHW(x) : ctx.asTF(x)], { axis: { i: nchw ? 1 : -1 } }, node.name);
  return ctx.tensor(y, x.shape, nchw ? 'nchw' : 'tf');
};

