// Little-endian byte buffers for the bytecode format (docs/bytecode.md):
// a growable writer that range-checks every field and a reader over a
// whole image. All reads are bounds-checked by the caller first, so a bad
// image ends in a BytecodeError ("truncated record at offset 96").

/** The only error encode and decode throw: what is wrong, then where. */
export class BytecodeError extends Error {
  override name = 'BytecodeError';
}

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder('utf-8', { fatal: true });

/** Rounds up to a multiple of 4. */
export function align4(n: number): number {
  return (n + 3) & ~3;
}

function fits(v: number, max: number, what: string): number {
  if (!Number.isInteger(v) || v < 0 || v > max) throw new BytecodeError(`${what} ${v} out of range 0..${max}`);
  return v;
}

/** An append-only byte buffer; reserved bytes start zeroed. */
export class Writer {
  private buf: Uint8Array;
  private dv: DataView;
  /** Bytes written so far. */
  len = 0;

  constructor(capacity = 1024) {
    this.buf = new Uint8Array(capacity);
    this.dv = new DataView(this.buf.buffer);
  }

  /** Appends `n` zero bytes and returns their position. */
  reserve(n: number): number {
    const p = this.len;
    if (p + n > this.buf.length) {
      let cap = this.buf.length * 2;
      while (cap < p + n) cap *= 2;
      const b = new Uint8Array(cap);
      b.set(this.buf.subarray(0, p));
      this.buf = b;
      this.dv = new DataView(b.buffer);
    }
    this.len = p + n;
    return p;
  }

  u8(pos: number, v: number, what = 'value'): void {
    this.dv.setUint8(pos, fits(v, 0xff, what));
  }
  u16(pos: number, v: number, what = 'value'): void {
    this.dv.setUint16(pos, fits(v, 0xffff, what), true);
  }
  u32(pos: number, v: number, what = 'value'): void {
    this.dv.setUint32(pos, fits(v, 0xffffffff, what), true);
  }
  i32(pos: number, v: number, what = 'value'): void {
    if (!Number.isInteger(v) || v < -0x80000000 || v > 0x7fffffff) throw new BytecodeError(`${what} ${v} out of range for i32`);
    this.dv.setInt32(pos, v, true);
  }
  u64(pos: number, v: bigint | number, what = 'value'): void {
    const b = typeof v === 'bigint' ? v : Number.isSafeInteger(v) ? BigInt(v) : -1n;
    if (b < 0n || b > 0xffffffffffffffffn) throw new BytecodeError(`${what} ${v} out of range for u64`);
    this.dv.setBigUint64(pos, b, true);
  }

  /** Appends bytes, zero-padded to a multiple of 4. */
  bytes(b: Uint8Array): void {
    const p = this.reserve(align4(b.length));
    // Register-sized values are short; a loop beats TypedArray.set for them.
    if (b.length <= 16) for (let i = 0; i < b.length; i++) this.buf[p + i] = b[i]!;
    else this.buf.set(b, p);
  }

  /** Appends a whole other writer's bytes (its length is a multiple of 4). */
  append(w: Writer): void {
    const p = this.reserve(w.len);
    this.buf.set(w.buf.subarray(0, w.len), p);
  }

  /** Writes `s` as u16 length + UTF-8 bytes, unaligned. */
  str(s: string): void {
    const b = textEncoder.encode(s);
    const p = this.reserve(2 + b.length);
    this.u16(p, b.length, 'string length');
    this.buf.set(b, p + 2);
  }

  /** Pads to a multiple of 4. */
  pad(): void {
    this.reserve(align4(this.len) - this.len);
  }

  /** A copy of the bytes written. */
  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

/** Unchecked little-endian reads over a whole image; callers check bounds first. */
export class Reader {
  private dv: DataView;

  constructor(readonly buf: Uint8Array) {
    this.dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  get length(): number {
    return this.buf.length;
  }
  u8(p: number): number {
    return this.dv.getUint8(p);
  }
  u16(p: number): number {
    return this.dv.getUint16(p, true);
  }
  u32(p: number): number {
    return this.dv.getUint32(p, true);
  }
  i32(p: number): number {
    return this.dv.getInt32(p, true);
  }
  u64(p: number): bigint {
    // Zero (every fresh counter) without allocating a BigInt per read.
    if (this.dv.getUint32(p, true) === 0 && this.dv.getUint32(p + 4, true) === 0) return 0n;
    return this.dv.getBigUint64(p, true);
  }
  /** A u64 that must be a safe integer (timeouts in ms). */
  u64n(p: number): number {
    const hi = this.dv.getUint32(p + 4, true);
    if (hi > 0x1fffff) throw new BytecodeError(`u64 at offset ${p} exceeds 2^53`);
    return this.dv.getUint32(p, true) + hi * 0x100000000;
  }
  /** A copy of `n` bytes at `p`. */
  bytes(p: number, n: number): Uint8Array {
    return this.buf.slice(p, p + n);
  }
  /** UTF-8 text of `n` bytes at `p`. */
  text(p: number, n: number): string {
    try {
      return textDecoder.decode(this.buf.subarray(p, p + n));
    } catch {
      throw new BytecodeError(`invalid UTF-8 in string at offset ${p}`);
    }
  }
}
