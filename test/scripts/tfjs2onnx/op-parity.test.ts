// Op-level parity: tiny hand-made TFJS graphs, one or a few ops each, for the
// translators and attribute variants that the face models do not exercise.
import { describe, it, expect, beforeAll } from 'vitest';
import type { TfjsModel, TfNode, TfAttrValue } from '../../../scripts/tfjs2onnx/tfjs-model.js';
import { decodeWeights, type WeightSpec } from '../../../scripts/tfjs2onnx/weights.js';
import { convertTfjsModel } from '../../../scripts/tfjs2onnx/convert.js';
import { encodeModel } from '../../../scripts/tfjs2onnx/writer.js';
import { loadTfModel, nhwcToNchw, runTf, onnxSession, runOnnx, relError, rng, tfReady } from './harness.js';

const TOL = 1e-4;
const X: [number, number, number, number] = [2, 6, 6, 4];

// ---- a tiny graph DSL ----
const s = (v: string): TfAttrValue => ({ s: Buffer.from(v).toString('base64') });
const i = (v: number): TfAttrValue => ({ i: String(v) });
const f = (v: number): TfAttrValue => ({ f: v });
const b = (v: boolean): TfAttrValue => ({ b: v });
const ints = (v: number[]): TfAttrValue => ({ list: { i: v.map(String) } });
const strs = (v: string[]): TfAttrValue => ({ list: { s: v.map((x) => Buffer.from(x).toString('base64')) } });
const T = { type: 'DT_FLOAT' };

interface Const {
  name: string;
  shape: number[];
  data: number[];
  int?: boolean;
}

class G {
  nodes: TfNode[] = [];
  consts: Const[] = [];
  private r = rng(99);
  private n = 0;
  constructor(readonly inShape: number[] = X) {
    this.nodes.push({ name: 'x', op: 'Placeholder', attr: { dtype: T, shape: { shape: { dim: inShape.map((d) => ({ size: String(d) })) } } } });
  }
  c(shape: number[], values?: number[], int = false): string {
    const name = `c${this.n++}`;
    const size = shape.reduce((a, q) => a * q, 1);
    const data = values ?? Array.from({ length: size }, () => this.r() * 2 - 1);
    this.consts.push({ name, shape, data, int });
    this.nodes.push({ name, op: 'Const', attr: { dtype: { type: int ? 'DT_INT32' : 'DT_FLOAT' }, value: { tensor: {} } } });
    return name;
  }
  ci(values: number[], shape = [values.length]): string {
    return this.c(shape, values, true);
  }
  op(op: string, input: string[], attr: Record<string, TfAttrValue> = {}): string {
    const name = `n${this.n++}_${op}`;
    this.nodes.push({ name, op, input, attr: { T, ...attr } });
    return name;
  }
  conv(x: string, cin: number, cout: number, k = 3, extra: Record<string, TfAttrValue> = {}): string {
    return this.op('Conv2D', [x, this.c([k, k, cin, cout])], { strides: ints([1, 1, 1, 1]), padding: s('SAME'), data_format: s('NHWC'), dilations: ints([1, 1, 1, 1]), ...extra });
  }
  model(out: string): TfjsModel {
    const nodes = [...this.nodes, { name: 'out', op: 'Identity', input: [out], attr: { T } }];
    const weightSpecs: WeightSpec[] = this.consts.map((k) => ({ name: k.name, shape: k.shape, dtype: k.int ? 'int32' : 'float32' }));
    const bytes = new Uint8Array(this.consts.reduce((a, k) => a + 4 * k.data.length, 0));
    const dv = new DataView(bytes.buffer);
    let off = 0;
    for (const k of this.consts)
      for (const v of k.data) {
        if (k.int) dv.setInt32(off, v, true);
        else dv.setFloat32(off, v, true);
        off += 4;
      }
    return {
      path: 'tiny.json',
      json: {
        format: 'graph-model',
        modelTopology: { node: nodes, versions: { producer: 1 } },
        weightsManifest: [{ paths: [], weights: weightSpecs }],
        signature: { inputs: { 'x:0': { name: 'x:0', dtype: 'DT_FLOAT' } }, outputs: { 'out:0': { name: 'out:0', dtype: 'DT_FLOAT' } } },
      },
      weightSpecs,
      weightData: bytes,
      weights: decodeWeights(weightSpecs, bytes),
    };
  }
}

const pool = (op: string, k: number, st: number, pad: string) => (g: G) =>
  g.op(op, ['x'], { ksize: ints([1, k, k, 1]), strides: ints([1, st, st, 1]), padding: s(pad), data_format: s('NHWC') });

const CASES: Record<string, (g: G) => string> = {
  'ResizeNearestNeighbor align_corners': (g) => g.op('ResizeNearestNeighbor', ['x', g.ci([9, 11])], { align_corners: b(true), half_pixel_centers: b(false) }),
  'ResizeNearestNeighbor half_pixel': (g) => g.op('ResizeNearestNeighbor', ['x', g.ci([9, 4])], { align_corners: b(false), half_pixel_centers: b(true) }),
  'ResizeNearestNeighbor legacy': (g) => g.op('ResizeNearestNeighbor', ['x', g.ci([4, 9])], { align_corners: b(false), half_pixel_centers: b(false) }),
  'ResizeBilinear align_corners': (g) => g.op('ResizeBilinear', ['x', g.ci([11, 9])], { align_corners: b(true), half_pixel_centers: b(false) }),
  'ResizeBilinear legacy (asymmetric)': (g) => g.op('ResizeBilinear', ['x', g.ci([9, 4])], { align_corners: b(false), half_pixel_centers: b(false) }),
  'ResizeBilinear half_pixel downscale': (g) => g.op('ResizeBilinear', ['x', g.ci([4, 4])], { align_corners: b(false), half_pixel_centers: b(true) }),
  'MirrorPad REFLECT': (g) => g.op('MirrorPad', ['x', g.ci([0, 0, 1, 2, 2, 1, 0, 0], [4, 2])], { mode: s('REFLECT') }),
  'PadV2 with channel padding after a conv': (g) => g.op('PadV2', [g.conv('x', 4, 3), g.ci([0, 0, 0, 1, 1, 0, 0, 2], [4, 2]), g.c([], [0.5])]),
  // (TFJS has no SpaceToDepth kernel, so only DepthToSpace can be checked against it.)
  DepthToSpace: (g) => g.op('DepthToSpace', [g.conv('x', 4, 8)], { block_size: i(2), data_format: s('NHWC') }),
  FusedBatchNormV3: (g) => g.op('FusedBatchNormV3', [g.conv('x', 4, 5), g.c([5]), g.c([5]), g.c([5]), g.c([5], [0.5, 1, 1.5, 2, 0.1])], { epsilon: f(0.001), is_training: b(false), data_format: s('NHWC') }),
  'Prelu / LeakyRelu / Relu6 / Elu / Selu': (g) =>
    g.op('Selu', [g.op('Elu', [g.op('Relu6', [g.op('LeakyRelu', [g.op('Prelu', [g.conv('x', 4, 4), g.c([4])]), ], { alpha: f(0.1) })])])]),
  'Softplus / Sigmoid / Tanh / Exp / Neg / Abs / Square / Rsqrt': (g) =>
    g.op('Rsqrt', [g.op('AddV2', [g.op('Square', [g.op('Abs', [g.op('Neg', [g.op('Exp', [g.op('Tanh', [g.op('Sigmoid', [g.op('Softplus', ['x'])])])])])])]), g.c([], [0.1])])]),
  'SquaredDifference / Maximum / Sub / RealDiv with broadcast constants': (g) =>
    g.op('RealDiv', [g.op('Sub', [g.c([1, 1, 1, 4]), g.op('Maximum', [g.op('SquaredDifference', [g.conv('x', 4, 4), g.c([4])]), g.c([], [0.2])])]), g.c([6, 1, 1], [1, 2, 3, 4, 5, 6])]),
  'Softmax and LogSoftmax on a conv output': (g) => g.op('AddV2', [g.op('Softmax', [g.conv('x', 4, 6)]), g.op('LogSoftmax', [g.conv('x', 4, 6)])]),
  'Mean keep_dims / Sum over channels / Max over H only': (g) => {
    const y = g.conv('x', 4, 4);
    const m = g.op('Mean', [y, g.ci([1, 2])], { keep_dims: b(true), Tidx: { type: 'DT_INT32' } });
    const sc = g.op('Sum', [g.op('AddV2', [y, m]), g.ci([3])], { keep_dims: b(false), Tidx: { type: 'DT_INT32' } });
    return g.op('Max', [g.op('ExpandDims', [sc, g.ci([-1])], { Tdim: { type: 'DT_INT32' } }), g.ci([1])], { keep_dims: b(false), Tidx: { type: 'DT_INT32' } });
  },
  'StridedSlice with masks and a negative stride': (g) =>
    g.op('StridedSlice', [g.conv('x', 4, 5), g.ci([0, 1, 0, 1]), g.ci([0, 5, 0, 4]), g.ci([1, 2, -1, 1])], { begin_mask: i(5), end_mask: i(5), ellipsis_mask: i(0), new_axis_mask: i(0), shrink_axis_mask: i(0), Index: { type: 'DT_INT32' } }),
  'ExpandDims / Squeeze / Pack / Reshape': (g) => {
    const e = g.op('ExpandDims', ['x', g.ci([1])], { Tdim: { type: 'DT_INT32' } });
    const sq = g.op('Squeeze', [e], { squeeze_dims: ints([1]) });
    const p = g.op('Pack', [sq, g.conv('x', 4, 4)], { axis: i(1), N: i(2) });
    return g.op('Reshape', [p, g.ci([-1, 36, 8])], { Tshape: { type: 'DT_INT32' } });
  },
  'dilated Conv2D SAME, depthwise multiplier 2 stride 2': (g) =>
    g.op('DepthwiseConv2dNative', [g.conv('x', 4, 3, 3, { dilations: ints([1, 2, 2, 1]) }), g.c([3, 3, 3, 2])], { strides: ints([1, 2, 2, 1]), padding: s('SAME'), data_format: s('NHWC'), dilations: ints([1, 1, 1, 1]) }),
  'AvgPool 3x3/2 SAME (padding not counted)': pool('AvgPool', 3, 2, 'SAME'),
  'MaxPool 3x3/1 SAME': pool('MaxPool', 3, 1, 'SAME'),
  '_FusedConv2D BiasAdd+Relu6 and FusedDepthwise BiasAdd+Relu': (g) => {
    const y = g.op('_FusedConv2D', ['x', g.c([3, 3, 4, 6]), g.c([6])], { strides: ints([1, 2, 2, 1]), padding: s('SAME'), data_format: s('NHWC'), fused_ops: strs(['BiasAdd', 'Relu6']), num_args: i(1), epsilon: f(0) });
    return g.op('FusedDepthwiseConv2dNative', [y, g.c([3, 3, 6, 1]), g.c([6])], { strides: ints([1, 1, 1, 1]), padding: s('SAME'), data_format: s('NHWC'), fused_ops: strs(['BiasAdd', 'Relu']), num_args: i(1), dilations: ints([1, 1, 1, 1]) });
  },
  'MatMul transpose_b and _FusedMatMul': (g) => {
    const flat = g.op('Reshape', [g.conv('x', 4, 4), g.ci([-1, 144])], { Tshape: { type: 'DT_INT32' } });
    const m = g.op('MatMul', [flat, g.c([10, 144])], { transpose_a: b(false), transpose_b: b(true) });
    return g.op('_FusedMatMul', [m, g.c([10, 3]), g.c([3])], { transpose_a: b(false), transpose_b: b(false), fused_ops: strs(['BiasAdd', 'Relu']), num_args: i(1), epsilon: f(0) });
  },
  'Cast round trip, AddN and BiasAdd over mixed layouts': (g) => {
    const y = g.conv('x', 4, 4);
    const c = g.op('Cast', [g.op('Cast', [g.op('Mul', ['x', g.c([], [10])])], { SrcT: T, DstT: { type: 'DT_INT32' } })], { SrcT: { type: 'DT_INT32' }, DstT: T });
    return g.op('BiasAdd', [g.op('AddN', [y, 'x', c], { N: i(3) }), g.c([4])], { data_format: s('NHWC') });
  },
  'ConcatV2 of a conv output and the input': (g) => g.op('ConcatV2', [g.conv('x', 4, 3), 'x', g.ci([-1], [])], { N: i(2), Tidx: { type: 'DT_INT32' } }),
};

describe('op-level parity on tiny graphs (TFJS vs ONNX, NCHW input)', () => {
  beforeAll(tfReady);
  for (const [name, build] of Object.entries(CASES)) {
    it(name, async () => {
      const g = new G();
      const model = g.model(build(g));
      const tfm = await loadTfModel(model);
      const r = rng(5);
      const x = Float32Array.from({ length: X.reduce((a, q) => a * q, 1) }, () => r() * 2 - 1);
      const [expected] = await runTf(tfm, x, X, ['out:0']);
      for (const layout of ['nchw', 'nhwc'] as const) {
        const conv = convertTfjsModel(model, { inputLayout: layout });
        const session = await onnxSession(encodeModel(conv.model));
        const feed = layout === 'nchw' ? { data: nhwcToNchw(x, X), dims: [X[0], X[3], X[1], X[2]] } : { data: x, dims: [...X] };
        const [got] = await runOnnx(session, { x: feed }, ['out']);
        await session.release();
        const err = relError(got.data, expected);
        expect(err, `${name} (${layout} input): rel err ${err}`).toBeLessThan(TOL);
      }
    });
  }
});
