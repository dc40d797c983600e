// Activations, both as standalone TF ops and as the tail of fused ops.
import type { TfNode } from '../tfjs-model.js';
import { attrFloat } from '../tfjs-model.js';
import type { ConversionContext } from '../context.js';
import type { Translator } from './types.js';

/** Emits `act(x)` on an ONNX tensor name; `alpha` feeds Prelu. Layout-free. */
export function emitActivation(ctx: ConversionContext, node: TfNode, act: string, x: string, alpha?: string): string {
  switch (act) {
    case 'Relu':
    case 'Sigmoid':
    case 'Tanh':
    case 'Elu':
    case 'Selu':
    case 'Softplus':
    case 'Exp':
    case 'Log':
    case 'Sqrt':
    case 'Neg':
    case 'Abs':
    case 'Floor':
    case 'Ceil':
    case 'Reciprocal':
      return ctx.op(act, [x]);
    case 'Relu6':
      return ctx.op('Clip', [x, ctx.b.f32Scalar(0), ctx.b.f32Scalar(6)]);
    case 'LeakyRelu':
      return ctx.op('LeakyRelu', [x], { alpha: { f: attrFloat(node, node.op === 'LeakyRelu' ? 'alpha' : 'leakyrelu_alpha', 0.2) } });
    case 'Rsqrt':
      return ctx.op('Reciprocal', [ctx.op('Sqrt', [x])]);
    case 'Square':
      return ctx.op('Mul', [x, x]);
    case 'Prelu':
      if (!alpha) ctx.fail(node, 'Prelu needs an alpha tensor');
      return ctx.op('PRelu', [x, alpha]);
    default:
      return ctx.fail(node, `unsupported activation "${act}"`);
  }
}

/** Standalone elementwise unary ops keep the layout of their input. */
export const unary: Translator = (node, [x], ctx) => {
  const out = emitActivation(ctx, node, node.op, ctx.as(x, 'any'));
  return ctx.tensor(out, x.shape, x.layout, x.dtype);
};

export const identity: Translator = (_node, [x]) => x;

/** Prelu: slope [C] becomes [C,1,1] against an NCHW tensor; otherwise work in TF layout. */
export const prelu: Translator = (node, [x, alpha], ctx) => {
  const data = ctx.constFloats(node, alpha, 'Prelu alpha');
  const c = x.shape[x.shape.length - 1];
  if (x.layout === 'nchw' && data.length === c) {
    const slope = ctx.b.initializer(ctx.prefix + 'prelu_alpha', 'float32', [c, 1, 1], data);
    return ctx.tensor(ctx.op('PRelu', [ctx.asNCHW(x), slope]), x.shape, 'nchw');
  }
  return ctx.tensor(ctx.op('PRelu', [ctx.asTF(x), ctx.asTF(alpha)]), x.shape, 'tf');
};
