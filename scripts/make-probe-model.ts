/**
 * Writes assets/onnx/probe-conv.onnx: a 3×3 convolution + ReLU on a
 * [1, 3, 32, 32] input with fixed weights. The engine creates a session from
 * it on each execution provider to learn which providers really work here,
 * and `npm run bench -- providers` compares their outputs.
 *
 *   npx tsx scripts/make-probe-model.ts
 */
import { writeFileSync } from 'node:fs';
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

const out = new URL('../assets/onnx/probe-conv.onnx', import.meta.url);
const C = 8;
const weights = Float32Array.from({ length: C * 3 * 3 * 3 }, (_, i) => Math.sin(i * 0.37) * 0.2);
const bias = Float32Array.from({ length: C }, (_, i) => (i - C / 2) * 0.01);

const tensor = (name: string, dims: number[], data: Float32Array) =>
  onnx.TensorProto.create({ name, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: new Uint8Array(data.buffer) });
const valueInfo = (name: string, dims: number[]) =>
  onnx.ValueInfoProto.create({
    name,
    type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: dims.map((d) => ({ dimValue: d })) } } },
  });

const graph = onnx.GraphProto.create({
  name: 'probe',
  node: [
    onnx.NodeProto.create({
      opType: 'Conv', input: ['x', 'w', 'b'], output: ['c'], name: 'conv',
      attribute: [
        onnx.AttributeProto.create({ name: 'pads', type: onnx.AttributeProto.AttributeType.INTS, ints: [1, 1, 1, 1] }),
        onnx.AttributeProto.create({ name: 'kernel_shape', type: onnx.AttributeProto.AttributeType.INTS, ints: [3, 3] }),
      ],
    }),
    onnx.NodeProto.create({ opType: 'Relu', input: ['c'], output: ['y'], name: 'relu' }),
  ],
  initializer: [tensor('w', [C, 3, 3, 3], weights), tensor('b', [C], bias)],
  input: [valueInfo('x', [1, 3, 32, 32])],
  output: [valueInfo('y', [1, C, 32, 32])],
});
const model = onnx.ModelProto.create({
  irVersion: 8,
  producerName: 'iriscope',
  opsetImport: [{ domain: '', version: 17 }],
  graph,
});
writeFileSync(out, onnx.ModelProto.encode(model).finish());
console.log(`wrote ${out.pathname}`);
