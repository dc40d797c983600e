// Convolutions: Conv2D, DepthwiseConv2dNative and their grappler-fused forms
// (_FusedConv2D, FusedDepthwiseConv2dNative: conv + BiasAdd/FusedBatchNorm + activation).
import type { TfNode } from '../tfjs-model.js';
import { attrFloat, attrStringList } from '../tfjs-model.js';
import { transposeData, type ConversionContext, type Value } from '../context.js';
import { resolveSpatial } from '../padding.js';
import { emitActivation } from './activation.js';
import type { Translator } from './types.js';
import type { Attr } from '../onnx-builder.js';

/** TF filter -> ONNX OIHW weights. Depthwise [kh,kw,cin,mult] -> [cin*mult,1,kh,kw] (out channel c*mult+m, as TF). */
function onnxFilter(ctx: ConversionContext, node: TfNode, filter: Value, depthwise: boolean): { data: Float32Array; dims: number[] } {
  const data = ctx.constFloats(node, filter, 'the filter');
  const [kh, kw, cin, cout] = filter.shape;
  if (filter.shape.length !== 4) ctx.fail(node, `expected a rank-4 filter, got [${filter.shape}]`);
  if (depthwise) return { data: transposeData(data, filter.shape, [2, 3, 0, 1]), dims: [cin * cout, 1, kh, kw] };
  return { data: transposeData(data, filter.shape, [3, 2, 0, 1]), dims: [cout, cin, kh, kw] };
}

function makeConv(depthwise: boolean, fused: boolean): Translator {
  return (node, inputs, ctx) => {
    const [x, filter, ...args] = inputs;
    if (x.shape.length !== 4) ctx.fail(node, `expected a rank-4 NHWC input, got [${x.shape}]`);
    const [n, h, w, cin] = x.shape;
    const [kh, kw] = filter.shape;
    const sp = resolveSpatial(node, [h, w], [kh, kw], ctx.opts.samePaddingExtra ?? 'end');
    let { data: weights, dims } = onnxFilter(ctx, node, filter, depthwise);
    const cout = dims[0];
    if (!depthwise && cin >= 0 && cin !== dims[1]) {
      ctx.fail(node, `grouped convolutions are not supported (input has ${cin} channels, filter expects ${dims[1]})`);
    }
    let bias: Float32Array | undefined;
    let acts: string[] = [];
    if (fused) {
      const ops = attrStringList(node, 'fused_ops');
      let rest = ops;
      if (ops[0] === 'BiasAdd') {
        bias = ctx.constFloats(node, args[0], 'the fused bias');
        rest = ops.slice(1);
      } else if (ops[0] === 'FusedBatchNorm' || ops[0] === 'FusedBatchNormV3') {
        // Fold y = (conv - mean) * scale / sqrt(var + eps) + offset into W and B.
        const [scale, offset, mean, variance] = args.slice(0, 4).map((a, i) => ctx.constFloats(node, a, `batch-norm argument ${i}`));
        const eps = attrFloat(node, 'epsilon', 0.001);
        const per = weights.length / cout;
        weights = Float32Array.from(weights);
        bias = new Float32Array(cout);
        for (let o = 0; o < cout; o++) {
          const k = scale[o] / Math.sqrt(variance[o] + eps);
          for (let j = 0; j < per; j++) weights[o * per + j] *= k;
          bias[o] = offset[o] - mean[o] * k;
        }
        rest = ops.slice(1);
      }
      acts = rest;
    }
    const attrs: Record<string, Attr> = {
      kernel_shape: { ints: [kh, kw] },
      strides: { ints: sp.strides },
      dilations: { ints: sp.dilations },
      group: { i: depthwise ? filter.shape[2] : 1 },
    };
    if (sp.pads) attrs.pads = { ints: sp.pads };
    else attrs.auto_pad = { s: 'SAME_UPPER' };
    const wName = ctx.b.initializer(ctx.prefix + `${node.name}/weights`, 'float32', dims, weights);
    const convInputs = [ctx.asNCHW(x), wName];
    if (bias) convInputs.push(ctx.b.initializer(ctx.prefix + `${node.name}/bias`, 'float32', [cout], bias));
    let y = ctx.op('Conv', convInputs, attrs, node.name);
    for (const act of acts) {
      let alpha: string | undefined;
      if (act === 'Prelu') {
        const a = ctx.constFloats(node, args[1], 'the Prelu alpha');
        alpha = ctx.b.initializer(ctx.prefix + `${node.name}/alpha`, 'float32', [a.length, 1, 1], a);
      }
      y = emitActivation(ctx, node, act, y, alpha);
    }
    return ctx.tensor(y, [n, sp.outHW[0], sp.outHW[1], cout], 'nchw');
  };
}

export const conv2d = makeConv(false, false);
export const fusedConv2d = makeConv(false, true);
export const depthwiseConv2d = makeConv(true, false);
export const fusedDepthwiseConv2d = makeConv(true, true);
