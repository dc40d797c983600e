// TF op name -> translator. Anything not listed fails the conversion with the
// op and node named (see convert.ts).
import type { Translator } from './types.js';
import { unary, identity, prelu } from './activation.js';
import { conv2d, fusedConv2d, depthwiseConv2d, fusedDepthwiseConv2d } from './conv.js';
import { maxPool, avgPool } from './pool.js';
import { binary, addN, elementwiseOps } from './elementwise.js';
import { matMul, fusedMatMul } from './matmul.js';
import { reduce, reduceOps, softmax } from './reduce.js';
import { reshape, pad, stridedSlice, expandDims, squeeze, shape, pack, concat, cast } from './shape.js';
import { resize, depthToSpace, spaceToDepth, batchNorm } from './image.js';

export const TRANSLATORS: Record<string, Translator> = {
  Conv2D: conv2d,
  _FusedConv2D: fusedConv2d,
  DepthwiseConv2dNative: depthwiseConv2d,
  FusedDepthwiseConv2dNative: fusedDepthwiseConv2d,
  MaxPool: maxPool,
  AvgPool: avgPool,
  MatMul: matMul,
  _FusedMatMul: fusedMatMul,
  AddN: addN,
  Prelu: prelu,
  Softmax: softmax,
  LogSoftmax: softmax,
  Reshape: reshape,
  Pad: pad,
  PadV2: pad,
  MirrorPad: pad,
  StridedSlice: stridedSlice,
  ExpandDims: expandDims,
  Squeeze: squeeze,
  Shape: shape,
  Pack: pack,
  ConcatV2: concat,
  Cast: cast,
  ResizeBilinear: resize,
  ResizeNearestNeighbor: resize,
  DepthToSpace: depthToSpace,
  SpaceToDepth: spaceToDepth,
  FusedBatchNorm: batchNorm,
  FusedBatchNormV2: batchNorm,
  FusedBatchNormV3: batchNorm,
  Identity: identity,
  StopGradient: identity,
  Snapshot: identity,
};

for (const op of elementwiseOps) TRANSLATORS[op] = binary;
for (const op of reduceOps) TRANSLATORS[op] = reduce;
for (const op of ['Relu', 'Relu6', 'Elu', 'Selu', 'Sigmoid', 'Tanh', 'Softplus', 'LeakyRelu', 'Exp', 'Log', 'Sqrt', 'Rsqrt', 'Square', 'Neg', 'Abs', 'Floor', 'Ceil', 'Reciprocal']) {
  TRANSLATORS[op] = unary;
}

/** Ops handled by the graph walker itself rather than a translator. */
export const STRUCTURAL_OPS = ['Placeholder', 'Const', 'NoOp'];

export function supportedOps(): string[] {
  return [...STRUCTURAL_OPS, ...Object.keys(TRANSLATORS)].sort();
}
