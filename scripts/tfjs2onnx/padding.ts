// TF padding -> explicit ONNX pads.
//
// TF "SAME": out = ceil(in / stride); the total padding needed is split with
// the smaller half before and the odd extra pixel AFTER (bottom/right). ONNX
// auto_pad=SAME_UPPER means the same thing, but explicit pads make the graph
// self-describing and let the negative control move the extra pixel.
import type { TfNode } from './tfjs-model.js';
import { attrIntList, attrString } from './tfjs-model.js';
import { ConversionError } from './context.js';

export function samePadding(inSize: number, kernel: number, stride: number, dilation: number, extra: 'end' | 'start' = 'end'): [number, number] {
  const out = Math.ceil(inSize / stride);
  const effective = (kernel - 1) * dilation + 1;
  const total = Math.max(0, (out - 1) * stride + effective - inSize);
  const small = Math.floor(total / 2);
  const big = total - small;
  return extra === 'end' ? [small, big] : [big, small];
}

export function outputSize(inSize: number, kernel: number, stride: number, dilation: number, padBegin: number, padEnd: number): number {
  if (inSize < 0) return -1;
  const effective = (kernel - 1) * dilation + 1;
  return Math.floor((inSize + padBegin + padEnd - effective) / stride) + 1;
}

export interface Spatial2D {
  kernel: [number, number];
  strides: [number, number];
  dilations: [number, number];
  /** ONNX pads [top, left, bottom, right], or undefined when auto_pad must be used. */
  pads?: [number, number, number, number];
  autoPad?: 'SAME_UPPER';
  outHW: [number, number];
}

/**
 * Resolves the 2-D window geometry of a TF conv/pool node with NHWC attrs.
 * `inHW` may hold -1 for unknown sizes; SAME then falls back to auto_pad.
 */
export function resolveSpatial(node: TfNode, inHW: [number, number], kernel: [number, number], extra: 'end' | 'start'): Spatial2D {
  const fmt = attrString(node, 'data_format', 'NHWC');
  if (fmt !== 'NHWC') throw new ConversionError(`node "${node.name}" (op ${node.op}): data_format ${fmt} is not supported (TFJS graphs use NHWC)`);
  const s = attrIntList(node, 'strides', [1, 1, 1, 1]);
  const d = attrIntList(node, 'dilations', [1, 1, 1, 1]);
  const strides: [number, number] = [s[1], s[2]];
  const dilations: [number, number] = [d[1] ?? 1, d[2] ?? 1];
  const padding = attrString(node, 'padding');
  let pads: [number, number, number, number] | undefined;
  let autoPad: 'SAME_UPPER' | undefined;
  if (padding === 'VALID') pads = [0, 0, 0, 0];
  else if (padding === 'SAME') {
    if (inHW[0] < 0 || inHW[1] < 0) {
      if (extra !== 'end') throw new ConversionError(`node "${node.name}": SAME padding with unknown spatial size`);
      autoPad = 'SAME_UPPER';
    } else {
      const [t, bo] = samePadding(inHW[0], kernel[0], strides[0], dilations[0], extra);
      const [l, r] = samePadding(inHW[1], kernel[1], strides[1], dilations[1], extra);
      pads = [t, l, bo, r];
    }
  } else if (padding === 'EXPLICIT') {
    // NHWC order: [n0, n1, h0, h1, w0, w1, c0, c1]
    const e = attrIntList(node, 'explicit_paddings');
    if (e.length !== 8 || e[0] || e[1] || e[6] || e[7]) throw new ConversionError(`node "${node.name}": explicit padding on batch/channel dims is not supported`);
    pads = [e[2], e[4], e[3], e[5]];
  } else throw new ConversionError(`node "${node.name}" (op ${node.op}): unknown padding "${padding}"`);
  const outHW: [number, number] = autoPad
    ? [inHW[0] < 0 ? -1 : Math.ceil(inHW[0] / strides[0]), inHW[1] < 0 ? -1 : Math.ceil(inHW[1] / strides[1])]
    : [
        outputSize(inHW[0], kernel[0], strides[0], dilations[0], pads![0], pads![2]),
        outputSize(inHW[1], kernel[1], strides[1], dilations[1], pads![1], pads![3]),
      ];
  return { kernel, strides, dilations, pads, autoPad, outHW };
}
