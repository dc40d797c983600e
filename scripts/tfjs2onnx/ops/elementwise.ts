// Binary elementwise ops with TF broadcasting, done in whatever layout the
// tensor operand already has (constants are re-laid-out at conversion time).
import type { TfNode } from '../tfjs-model.js';
import { broadcastShapes, shapeSize, transposeData, PERM_TO_NCHW, type ConversionContext, type Value } from '../context.js';
import type { Translator } from './types.js';

const ONNX_BINARY: Record<string, string> = {
  Add: 'Add',
  AddV2: 'Add',
  BiasAdd: 'Add',
  Sub: 'Sub',
  Mul: 'Mul',
  RealDiv: 'Div',
  Div: 'Div',
  Maximum: 'Max',
  Minimum: 'Min',
  Pow: 'Pow',
  SquaredDifference: 'Sub',
};

/**
 * ONNX name of constant `c` laid out to broadcast against an NCHW tensor:
 * right-align its TF shape to rank 4, then move the channel axis.
 */
function constAgainstNCHW(ctx: ConversionContext, node: TfNode, c: Value): string {
  const data = ctx.constFloats(node, c, 'operand');
  if (shapeSize(c.shape) === 1) return ctx.b.constant(c.dtype, [], [data[0]], ctx.prefix + 'scalar');
  const padded = [...new Array(4 - c.shape.length).fill(1), ...c.shape];
  const dims = PERM_TO_NCHW.map((p) => padded[p]);
  return ctx.b.initializer(ctx.prefix + (c.hint ?? 'const') + '_nchw', c.dtype, dims, transposeData(data, padded, PERM_TO_NCHW));
}

/** Lays out the operands of an n-ary elementwise op; returns ONNX names and result layout. */
export function alignOperands(ctx: ConversionContext, node: TfNode, operands: Value[]): { names: string[]; layout: 'tf' | 'nchw' } {
  // Work in NCHW only if some operand is already NCHW and every other operand
  // is either rank-4 or a constant that can be re-laid-out.
  const useNchw =
    operands.some((v) => v.layout === 'nchw' && v.onnx !== undefined) &&
    operands.every((v) => v.shape.length === 4 || (v.data !== undefined && v.shape.length <= 4));
  if (!useNchw) return { names: operands.map((v) => ctx.asTF(v)), layout: 'tf' };
  const names = operands.map((v) => (v.shape.length === 4 ? ctx.asNCHW(v) : constAgainstNCHW(ctx, node, v)));
  return { names, layout: 'nchw' };
}

const FOLD: Record<string, (x: number, y: number) => number> = {
  Add: (x, y) => x + y,
  AddV2: (x, y) => x + y,
  Sub: (x, y) => x - y,
  Mul: (x, y) => x * y,
  Maximum: Math.max,
  Minimum: Math.min,
};

/** Folds small constant arithmetic (shape computations) at conversion time. */
function foldBinary(ctx: ConversionContext, op: string, a: Value, b: Value, shape: number[]): Value | undefined {
  const f = FOLD[op];
  if (!f || !a.data || !b.data || a.shape.length > 1 || b.shape.length > 1) return undefined;
  const n = shapeSize(shape);
  const get = (v: Value, i: number) => (v.data!.length === 1 ? v.data![0] : v.data![i]);
  const out = Array.from({ length: n }, (_, i) => f(get(a, i), get(b, i)));
  return ctx.constant(a.dtype === 'float32' ? Float32Array.from(out) : out, shape, a.dtype);
}

export const binary: Translator = (node, inputs, ctx) => {
  const [a, b] = inputs;
  const op = ONNX_BINARY[node.op];
  const shape = broadcastShapes(a.shape, b.shape);
  const folded = foldBinary(ctx, node.op, a, b, shape);
  if (folded) return folded;
  if (node.op === 'BiasAdd' && b.shape.length !== 1) ctx.fail(node, 'BiasAdd expects a 1-D bias');
  const { names, layout } = alignOperands(ctx, node, [a, b]);
  let y = ctx.op(op, names, undefined, node.name);
  if (node.op === 'SquaredDifference') y = ctx.op('Mul', [y, y]);
  return ctx.tensor(y, shape, shape.length === 4 ? layout : 'tf', a.dtype);
};

export const addN: Translator = (node, inputs, ctx) => {
  const shape = inputs.map((v) => v.shape).reduce(broadcastShapes);
  const { names, layout } = alignOperands(ctx, node, inputs);
  return ctx.tensor(ctx.op('Sum', names, undefined, node.name), shape, shape.length === 4 ? layout : 'tf');
};

export const elementwiseOps = Object.keys(ONNX_BINARY);
