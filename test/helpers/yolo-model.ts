/**
 * A real detector in the Ultralytics YOLOv8/11 ONNX layout, made from a
 * shipped ODGI stage-2 graph by appending the head conversion: xyxy boxes
 * normalised to the input → cx, cy, w, h in input pixels, and per-class
 * scores = objectness x class probability, transposed to [1, 4 + nc, N];
 * input renamed `images` with a fixed batch of 1; Ultralytics metadata_props
 * (Python-literal `names`, `imgsz`, `task`). It detects what stage 2 detects,
 * so the bring-your-own path is tested with a model that finds real objects.
 * `layout: 'v5'` leaves the output untransposed ([1, N, 4 + nc]): a wrong shape.
 */
import { promises as fs } from 'node:fs';
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

export async function writeYoloFromStage2(stage2File: string, target: string, options: { layout?: 'v8' | 'v5'; names?: string[]; task?: string } = {}): Promise<void> {
  const model = onnx.ModelProto.decode(await fs.readFile(stage2File));
  const graph = model.graph!;
  const input = graph.input![0];
  const S = Number(input.type!.tensorType!.shape!.dim![2].dimValue);
  const names = options.names ?? ['vehicle', 'boat', 'plane'];
  const C = names.length;
  // Rename the input and fix its batch at 1, as Ultralytics exports do.
  const oldName = input.name!;
  input.name = 'images';
  input.type!.tensorType!.shape!.dim![0] = { dimValue: 1 };
  for (const node of graph.node!) node.input = node.input!.map((n) => (n === oldName ? 'images' : n));

  const f32 = (name: string, values: number[], dims: number[] = []) => onnx.TensorProto.create({ name, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: new Uint8Array(Float32Array.from(values).buffer) });
  const i64 = (name: string, values: number[]) => onnx.TensorProto.create({ name, dims: [values.length], dataType: onnx.TensorProto.DataType.INT64, rawData: new Uint8Array(BigInt64Array.from(values.map(BigInt)).buffer) });
  graph.initializer!.push(
    i64('y_s0', [0]), i64('y_s2', [2]), i64('y_s4', [4]), i64('y_ax2', [2]),
    f32('y_half', [S / 2]), f32('y_full', [S]),
  );
  const node = (opType: string, inputs: string[], output: string, attribute: onnxProto.onnx.IAttributeProto[] = []) =>
    graph.node!.push(onnx.NodeProto.create({ opType, input: inputs, output: [output], name: `yolo_${output}`, attribute }));
  node('Slice', ['boxes', 'y_s0', 'y_s2', 'y_ax2'], 'y_xy1');
  node('Slice', ['boxes', 'y_s2', 'y_s4', 'y_ax2'], 'y_xy2');
  node('Add', ['y_xy1', 'y_xy2'], 'y_sum');
  node('Mul', ['y_sum', 'y_half'], 'y_cxy');
  node('Sub', ['y_xy2', 'y_xy1'], 'y_dwh');
  node('Mul', ['y_dwh', 'y_full'], 'y_wh');
  node('Unsqueeze', ['scores', 'y_ax2'], 'y_obj');
  node('Mul', ['class_prob', 'y_obj'], 'y_cls');
  node('Concat', ['y_cxy', 'y_wh', 'y_cls'], options.layout === 'v5' ? 'output0' : 'y_cat', [onnx.AttributeProto.create({ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 2 })]);
  if (options.layout !== 'v5') node('Transpose', ['y_cat'], 'output0', [onnx.AttributeProto.create({ name: 'perm', type: onnx.AttributeProto.AttributeType.INTS, ints: [0, 2, 1] })]);
  const cells = Number(graph.output![0].type!.tensorType!.shape!.dim![1].dimValue) || 'anchors';
  const dims = options.layout === 'v5' ? [1, cells, 4 + C] : [1, 4 + C, cells];
  graph.output = [onnx.ValueInfoProto.create({
    name: 'output0',
    type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  })];
  // Shape information of the old outputs no longer matches a fixed batch; let onnxruntime infer it.
  graph.valueInfo = [];
  model.metadataProps = [
    { key: 'description', value: 'Ultralytics-layout detector (ODGI stage 2 head)' },
    { key: 'author', value: 'Iriscope tests' },
    { key: 'task', value: options.task ?? 'detect' },
    { key: 'stride', value: '8' },
    { key: 'batch', value: '1' },
    { key: 'imgsz', value: `[${S}, ${S}]` },
    { key: 'names', value: `{${names.map((n, i) => `${i}: '${n.replace(/'/g, "\\'")}'`).join(', ')}}` },
  ];
  await fs.writeFile(target, onnx.ModelProto.encode(model).finish());
}
