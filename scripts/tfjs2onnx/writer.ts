// Serialises an ONNX ModelProto to bytes (protobuf wire format via onnx-proto).
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { onnx, type OnnxModel } from './onnx-builder.js';

export function encodeModel(model: OnnxModel): Uint8Array {
  const err = onnx.ModelProto.verify(model);
  if (err) throw new Error(`invalid ONNX model message: ${err}`);
  return onnx.ModelProto.encode(model).finish();
}

export function writeModel(model: OnnxModel, path: string): Uint8Array {
  const bytes = encodeModel(model);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, bytes);
  return bytes;
}

export function decodeModel(bytes: Uint8Array): OnnxModel {
  return onnx.ModelProto.decode(bytes);
}
