// Image ops: resizing, depth<->space, standalone batch norm. All in NCHW.
import { attrBool, attrFloat, attrInt, attrString } from '../tfjs-model.js';
import type { Translator } from './types.js';

/**
 * ResizeBilinear / ResizeNearestNeighbor. TF's coordinate conventions map to
 * ONNX coordinate_transformation_mode; output sizes are built from the
 * runtime batch/channels plus the constant (H, W), so a symbolic batch works.
 */
export const resize: Translator = (node, [x, sizeV], ctx) => {
  const [oh, ow] = ctx.constInts(node, sizeV, 'size');
  const alignCorners = attrBool(node, 'align_corners');
  const halfPixel = attrBool(node, 'half_pixel_centers');
  const bilinear = node.op === 'ResizeBilinear';
  let ctm: string;
  let nearestMode = 'floor';
  if (alignCorners) {
    ctm = 'align_corners';
    nearestMode = 'round_prefer_ceil';
  } else if (halfPixel) ctm = bilinear ? 'half_pixel' : 'tf_half_pixel_for_nn';
  else ctm = 'asymmetric';
  const xs = ctx.asNCHW(x);
  const nc = ctx.op('Slice', [ctx.op('Shape', [xs]), ctx.b.i64([0]), ctx.b.i64([2])]);
  const sizes = ctx.op('Concat', [nc, ctx.b.i64([oh, ow])], { axis: { i: 0 } });
  const attrs: Record<string, { s: string }> = { mode: { s: bilinear ? 'linear' : 'nearest' }, coordinate_transformation_mode: { s: ctm } };
  if (!bilinear) attrs.nearest_mode = { s: nearestMode };
  const y = ctx.op('Resize', [xs, '', '', sizes], attrs, node.name);
  return ctx.tensor(y, [x.shape[0], oh, ow, x.shape[3]], 'nchw');
};

/** TF DepthToSpace (NHWC) orders channels like ONNX mode DCR. */
export const depthToSpace: Translator = (node, [x], ctx) => {
  if (attrString(node, 'data_format', 'NHWC') !== 'NHWC') ctx.fail(node, 'only NHWC data_format is supported');
  const bs = attrInt(node, 'block_size');
  const [n, h, w, c] = x.shape;
  const y = ctx.op('DepthToSpace', [ctx.asNCHW(x)], { blocksize: { i: bs }, mode: { s: 'DCR' } }, node.name);
  return ctx.tensor(y, [n, h < 0 ? -1 : h * bs, w < 0 ? -1 : w * bs, c / (bs * bs)], 'nchw');
};

export const spaceToDepth: Translator = (node, [x], ctx) => {
  if (attrString(node, 'data_format', 'NHWC') !== 'NHWC') ctx.fail(node, 'only NHWC data_format is supported');
  const bs = attrInt(node, 'block_size');
  const [n, h, w, c] = x.shape;
  const y = ctx.op('SpaceToDepth', [ctx.asNCHW(x)], { blocksize: { i: bs } }, node.name);
  return ctx.tensor(y, [n, h < 0 ? -1 : h / bs, w < 0 ? -1 : w / bs, c * bs * bs], 'nchw');
};

/** Inference-mode FusedBatchNorm{,V2,V3}: y = (x - mean) * scale / sqrt(var + eps) + offset. */
export const batchNorm: Translator = (node, [x, scale, offset, mean, variance], ctx) => {
  if (attrBool(node, 'is_training')) ctx.fail(node, 'training-mode batch norm is not supported');
  if (x.shape.length !== 4) ctx.fail(node, 'batch norm expects a rank-4 NHWC input');
  const eps = attrFloat(node, 'epsilon', 0.001);
  const names = [scale, offset, mean, variance].map((v, i) => {
    const d = ctx.constFloats(node, v, `batch-norm argument ${i}`);
    return ctx.b.initializer(ctx.prefix + `${node.name}/bn${i}`, 'float32', [d.length], d);
  });
  const y = ctx.op('BatchNormalization', [ctx.asNCHW(x), ...names], { epsilon: { f: eps } }, node.name);
  return [ctx.tensor(y, x.shape, 'nchw')];
};
