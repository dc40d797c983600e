// Decoding of TFJS weight shards: float32, int32, bool, and the TFJS
// quantisation schemes (float16; uint8/uint16 affine `q * scale + min`).

export interface WeightSpec {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32' | 'bool' | 'string' | 'complex64';
  quantization?: { dtype: 'uint8' | 'uint16' | 'float16'; scale?: number; min?: number; original_dtype?: string };
  group?: string;
}

export interface DecodedWeight {
  name: string;
  shape: number[];
  /** Always float32 for floating weights, int32 for integer and bool ones. */
  dtype: 'float32' | 'int32';
  data: Float32Array | Int32Array;
  /** Stored precision, kept for provenance (e.g. "float16"). */
  storedAs: string;
}

const BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2 };

export function weightByteLength(spec: WeightSpec): number {
  const n = spec.shape.reduce((a, b) => a * b, 1);
  const stored = spec.quantization?.dtype ?? spec.dtype;
  const b = BYTES[stored];
  if (b === undefined) throw new Error(`weight "${spec.name}": unsupported stored dtype "${stored}"`);
  return n * b;
}

/** IEEE 754 half -> float32 (exact: every half is representable as a float). */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24; // subnormal
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

export function decodeWeights(specs: WeightSpec[], data: Uint8Array, where = 'model'): Map<string, DecodedWeight> {
  const out = new Map<string, DecodedWeight>();
  // DataView: shards are packed without alignment, so typed-array views would throw.
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let off = 0;
  for (const spec of specs) {
    const n = spec.shape.reduce((a, b) => a * b, 1);
    const len = weightByteLength(spec);
    if (off + len > data.byteLength) {
      throw new Error(`${where}: weight "${spec.name}" needs bytes ${off}..${off + len} but the shards hold ${data.byteLength}`);
    }
    const q = spec.quantization;
    const isFloat = spec.dtype === 'float32';
    let decoded: Float32Array | Int32Array;
    if (spec.dtype === 'string' || spec.dtype === 'complex64') {
      throw new Error(`${where}: weight "${spec.name}" has unsupported dtype ${spec.dtype}`);
    }
    if (!q) {
      if (spec.dtype === 'float32') {
        decoded = new Float32Array(n);
        for (let i = 0; i < n; i++) decoded[i] = view.getFloat32(off + 4 * i, true);
      } else if (spec.dtype === 'int32') {
        decoded = new Int32Array(n);
        for (let i = 0; i < n; i++) decoded[i] = view.getInt32(off + 4 * i, true);
      } else {
        decoded = new Int32Array(n);
        for (let i = 0; i < n; i++) decoded[i] = data[off + i] ? 1 : 0;
      }
    } else if (q.dtype === 'float16') {
      decoded = new Float32Array(n);
      for (let i = 0; i < n; i++) decoded[i] = halfToFloat(view.getUint16(off + 2 * i, true));
    } else {
      const scale = q.scale ?? 1;
      const min = q.min ?? 0;
      const get = q.dtype === 'uint8' ? (i: number) => data[off + i] : (i: number) => view.getUint16(off + 2 * i, true);
      if (isFloat) {
        decoded = new Float32Array(n);
        for (let i = 0; i < n; i++) decoded[i] = get(i) * scale + min;
      } else {
        decoded = new Int32Array(n);
        for (let i = 0; i < n; i++) decoded[i] = Math.round(get(i) * scale + min);
      }
    }
    out.set(spec.name, {
      name: spec.name,
      shape: spec.shape,
      dtype: isFloat ? 'float32' : 'int32',
      data: decoded,
      storedAs: q?.dtype ?? spec.dtype,
    });
    off += len;
  }
  if (off !== data.byteLength) {
    throw new Error(`${where}: the weight manifest accounts for ${off} bytes but the shards hold ${data.byteLength}`);
  }
  return out;
}
