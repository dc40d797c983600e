/**
 * Reads `metadata_props` of an ONNX file (ModelProto field 14, repeated
 * StringStringEntryProto {1: key, 2: value}) with a minimal protobuf walk:
 * onnxruntime-node does not expose them. Only top-level field headers are
 * read; the graph and weights are skipped by seeking, so memory stays small
 * whatever the model size.
 */
import { promises as fs } from 'node:fs';
import { IriscopeError } from '../../../common/errors';

const METADATA_PROPS = 14;
/** More than this is not a metadata entry we care about (guards against garbage lengths). */
const MAX_ENTRY = 1 << 20;

class Reader {
  private buffer = Buffer.alloc(0);
  private start = 0;
  constructor(
    private readonly handle: fs.FileHandle,
    readonly size: number,
  ) {}

  /** Bytes [pos, pos + n) of the file (n small). */
  async bytes(pos: number, n: number): Promise<Buffer> {
    if (pos >= this.start && pos + n <= this.start + this.buffer.length) return this.buffer.subarray(pos - this.start, pos - this.start + n);
    const want = Math.max(n, 64 * 1024);
    const buf = Buffer.alloc(Math.min(want, Math.max(0, this.size - pos)));
    const { bytesRead } = await this.handle.read(buf, 0, buf.length, pos);
    this.buffer = buf.subarray(0, bytesRead);
    this.start = pos;
    if (bytesRead < n) throw new Error('truncated');
    return this.buffer.subarray(0, n);
  }

  async varint(pos: number): Promise<{ value: number; next: number }> {
    const head = await this.bytes(pos, Math.min(10, this.size - pos));
    let value = 0;
    let mul = 1;
    for (let i = 0; i < head.length; i++) {
      value += (head[i] & 0x7f) * mul;
      if (head[i] < 0x80) return { value, next: pos + i + 1 };
      mul *= 128;
    }
    throw new Error('bad varint');
  }
}

function varintIn(buf: Buffer, pos: number): { value: number; next: number } {
  let value = 0;
  let mul = 1;
  for (let i = pos; i < buf.length && i < pos + 10; i++) {
    value += (buf[i] & 0x7f) * mul;
    if (buf[i] < 0x80) return { value, next: i + 1 };
    mul *= 128;
  }
  throw new Error('bad varint');
}

function parseEntry(buf: Buffer): [string, string] | null {
  let key: string | null = null;
  let value = '';
  let pos = 0;
  while (pos < buf.length) {
    const tag = varintIn(buf, pos);
    const field = Math.floor(tag.value / 8);
    const wire = tag.value & 7;
    if (wire !== 2) return null;
    const len = varintIn(buf, tag.next);
    const text = buf.subarray(len.next, len.next + len.value).toString('utf8');
    if (field === 1) key = text;
    else if (field === 2) value = text;
    pos = len.next + len.value;
  }
  return key === null ? null : [key, value];
}

/** The model's metadata_props as a plain record. Throws MODEL_INVALID when the file is not an ONNX protobuf. */
export async function readOnnxMetadata(file: string): Promise<Record<string, string>> {
  const handle = await fs.open(file, 'r');
  try {
    const { size } = await handle.stat();
    const r = new Reader(handle, size);
    const out: Record<string, string> = {};
    let pos = 0;
    let sawGraph = false;
    while (pos < size) {
      const tag = await r.varint(pos);
      const field = Math.floor(tag.value / 8);
      const wire = tag.value & 7;
      if (field === 0) throw new Error('field 0');
      if (wire === 0) {
        pos = (await r.varint(tag.next)).next;
      } else if (wire === 1) {
        pos = tag.next + 8;
      } else if (wire === 5) {
        pos = tag.next + 4;
      } else if (wire === 2) {
        const len = await r.varint(tag.next);
        if (len.next + len.value > size) throw new Error('length past the end');
        if (field === 7) sawGraph = true;
        if (field === METADATA_PROPS && len.value <= MAX_ENTRY) {
          const entry = parseEntry(Buffer.from(await r.bytes(len.next, len.value)));
          if (entry) out[entry[0]] = entry[1];
        }
        pos = len.next + len.value;
      } else {
        throw new Error(`wire type ${wire}`);
      }
    }
    if (!sawGraph) throw new Error('no graph');
    return out;
  } catch (error) {
    if (error instanceof IriscopeError) throw error;
    throw new IriscopeError({ code: 'MODEL_INVALID', message: `"${file}" is not a readable ONNX model.`, detail: (error as Error).message });
  } finally {
    await handle.close();
  }
}

/**
 * Ultralytics writes metadata values with Python's str(): `names` looks like
 * {0: 'person', 1: "it's"} and `imgsz` like [640, 640]. Returns names in
 * index order.
 */
export function parsePythonNames(text: string): string[] {
  const names: Array<[number, string]> = [];
  const re = /(\d+)\s*:\s*(?:'((?:\\.|[^'\\])*)'|"((?:\\.|[^"\\])*)")/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const raw = m[2] ?? m[3] ?? '';
    names.push([Number(m[1]), raw.replace(/\\(.)/g, '$1')]);
  }
  if (!names.length) {
    // A plain list: ['a', 'b'].
    const list = /^\s*\[(.*)\]\s*$/s.exec(text);
    if (list) {
      const items = [...list[1].matchAll(/'((?:\\.|[^'\\])*)'|"((?:\\.|[^"\\])*)"/g)].map((x) => (x[1] ?? x[2] ?? '').replace(/\\(.)/g, '$1'));
      return items;
    }
    return [];
  }
  names.sort((a, b) => a[0] - b[0]);
  return names.map(([, n]) => n);
}

export function parseImgsz(text: string | undefined): [number, number] | null {
  if (!text) return null;
  const nums = [...text.matchAll(/\d+/g)].map((m) => Number(m[0]));
  if (nums.length === 1) return [nums[0], nums[0]];
  if (nums.length >= 2) return [nums[0], nums[1]];
  return null;
}
