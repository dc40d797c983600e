// MaxPool / AvgPool with TF window semantics.
import { attrIntList } from '../tfjs-model.js';
import { resolveSpatial } from '../padding.js';
import type { Attr } from '../onnx-builder.js';
import type { Translator } from './types.js';

function makePool(onnxOp: 'MaxPool' | 'AveragePool'): Translator {
  return (node, [x], ctx) => {
    if (x.shape.length !== 4) ctx.fail(node, `expected a rank-4 NHWC input, got [${x.shape}]`);
    const k = attrIntList(node, 'ksize');
    if (k[0] !== 1 || k[3] !== 1) ctx.fail(node, 'pooling over batch or channels is not supported');
    const [n, h, w, c] = x.shape;
    const sp = resolveSpatial(node, [h, w], [k[1], k[2]], ctx.opts.samePaddingExtra ?? 'end');
    const attrs: Record<string, Attr> = { kernel_shape: { ints: sp.kernel }, strides: { ints: sp.strides } };
    if (sp.pads) attrs.pads = { ints: sp.pads };
    else attrs.auto_pad = { s: 'SAME_UPPER' };
    // TF averages only over real pixels: padded cells are not counted.
    if (onnxOp === 'AveragePool') attrs.count_include_pad = { i: 0 };
    const y = ctx.op(onnxOp, [ctx.asNCHW(x)], attrs, node.name);
    return ctx.tensor(y, [n, sp.outHW[0], sp.outHW[1], c], 'nchw');
  };
}

export const maxPool = makePool('MaxPool');
export const avgPool = makePool('AveragePool');
