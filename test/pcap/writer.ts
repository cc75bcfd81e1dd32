// Test-only capture writers: pcap files and pcapng blocks in either byte
// order, plus Ethernet/IP/cooked packet builders, so every reader case is
// built from readable fields rather than opaque hex.
// Example: pcapFile({ linkType: 1 }, [{ sec: 1, frac: 2, data: ether(...) }]).

/** Growable byte buffer with integers in a fixed byte order. */
export class Bytes {
  private buf = new Uint8Array(256);
  private view = new DataView(this.buf.buffer);
  length = 0;
  constructor(readonly littleEndian = true) {}

  private room(n: number): number {
    if (this.length + n > this.buf.length) {
      const next = new Uint8Array(Math.max(this.buf.length * 2, this.length + n));
      next.set(this.buf);
      this.buf = next;
      this.view = new DataView(next.buffer);
    }
    const at = this.length;
    this.length += n;
    return at;
  }
  // room() may replace buf and view, so it runs before they are read.
  u8(v: number): this { const at = this.room(1); this.view.setUint8(at, v); return this; }
  u16(v: number): this { const at = this.room(2); this.view.setUint16(at, v, this.littleEndian); return this; }
  u32(v: number): this { const at = this.room(4); this.view.setUint32(at, v >>> 0, this.littleEndian); return this; }
  u64(v: bigint): this { const at = this.room(8); this.view.setBigUint64(at, BigInt.asUintN(64, v), this.littleEndian); return this; }
  bytes(b: Uint8Array): this { const at = this.room(b.length); this.buf.set(b, at); return this; }
  pad4(): this { while (this.length % 4) this.u8(0); return this; }
  /** Overwrite a u32 at `at`. */
  setU32(at: number, v: number): this { this.view.setUint32(at, v >>> 0, this.littleEndian); return this; }
  done(): Uint8Array { return this.buf.slice(0, this.length); }
}

/** One pcap record: seconds, fraction (usec or nsec), bytes, wire length. */
export interface PcapRecord { sec: number; frac: number; data: Uint8Array; originalLength?: number; caplen?: number }

/** Options of a pcap file header. */
export interface PcapHeader {
  linkType: number;
  littleEndian?: boolean;
  nano?: boolean;
  snaplen?: number;
  major?: number;
  minor?: number;
  /** Raw upper bits of the link-type word (FCS information). */
  linkTypeExt?: number;
}

/** A complete pcap file. `caplen` in a record overrides incl_len (to forge corrupt records). */
export function pcapFile(h: PcapHeader, records: PcapRecord[]): Uint8Array {
  const w = new Bytes(h.littleEndian ?? true);
  w.u32(h.nano ? 0xa1b23c4d : 0xa1b2c3d4).u16(h.major ?? 2).u16(h.minor ?? 4).u32(0).u32(0)
    .u32(h.snaplen ?? 262144).u32((h.linkTypeExt ?? 0) | h.linkType);
  for (const r of records) {
    w.u32(r.sec).u32(r.frac).u32(r.caplen ?? r.data.length).u32(r.originalLength ?? r.data.length).bytes(r.data);
  }
  return w.done();
}

/** A pcapng option: code and value. */
export interface Option { code: number; value: Uint8Array }

const utf8 = new TextEncoder();

/** String option (if_name, shb_os, ...). */
export function optText(code: number, s: string): Option {
  return { code, value: utf8.encode(s) };
}
/** Raw-bytes option. */
export function optBytes(code: number, ...b: number[]): Option {
  return { code, value: Uint8Array.from(b) };
}
/** u32 option (epb_flags) in the given byte order. */
export function optU32(code: number, v: number, littleEndian = true): Option {
  return { code, value: new Bytes(littleEndian).u32(v).done() };
}
/** 64-bit option (if_tsoffset) in the given byte order. */
export function optU64(code: number, v: bigint, littleEndian = true): Option {
  return { code, value: new Bytes(littleEndian).u64(v).done() };
}

/** Builds a pcapng file block by block; each section sets the byte order of the blocks after it. */
export class PcapngWriter {
  private out: Uint8Array[] = [];
  private le = true;
  /** Offset of each block written so far. */
  readonly offsets: number[] = [];
  private size = 0;

  /** Any block: type, body (already in this section's byte order), optional options; `length` forges the length fields. */
  block(type: number, body: Uint8Array, options: Option[] = [], length?: number, trailer?: number): this {
    const w = new Bytes(this.le);
    w.u32(type).u32(0).bytes(body).pad4();
    if (options.length > 0) {
      for (const o of options) w.u16(o.code).u16(o.value.length).bytes(o.value).pad4();
      w.u16(0).u16(0);
    }
    const total = w.length + 4;
    w.u32(trailer ?? length ?? total).setU32(4, length ?? total);
    this.offsets.push(this.size);
    const b = w.done();
    this.out.push(b);
    this.size += b.length;
    return this;
  }

  /** Section Header Block: byte order, version, options; section length -1. */
  section(littleEndian = true, options: Option[] = [], major = 1, minor = 0): this {
    this.le = littleEndian;
    return this.block(0x0a0d0d0a, this.body().u32(0x1a2b3c4d).u16(major).u16(minor).u64(-1n).done(), options);
  }

  /** Interface Description Block. */
  interface(linkType: number, snaplen = 262144, options: Option[] = []): this {
    return this.block(1, this.body().u16(linkType).u16(0).u32(snaplen).done(), options);
  }

  /** Enhanced Packet Block; `ts` in the interface's units. */
  epb(iface: number, ts: bigint, data: Uint8Array, options: Option[] = [], originalLength = data.length): this {
    const body = this.body().u32(iface).u32(Number(ts >> 32n)).u32(Number(ts & 0xffffffffn))
      .u32(data.length).u32(originalLength).bytes(data).pad4().done();
    return this.block(6, body, options);
  }

  /** Simple Packet Block: original length and data (the writer's caller truncates to snaplen). */
  spb(data: Uint8Array, originalLength = data.length): this {
    return this.block(3, this.body().u32(originalLength).bytes(data).pad4().done());
  }

  /** Obsolete Packet Block (interface ID 16 bits, drops count 16 bits). */
  pb(iface: number, ts: bigint, data: Uint8Array, options: Option[] = [], originalLength = data.length): this {
    const body = this.body().u16(iface).u16(0).u32(Number(ts >> 32n)).u32(Number(ts & 0xffffffffn))
      .u32(data.length).u32(originalLength).bytes(data).pad4().done();
    return this.block(2, body, options);
  }

  /** Raw bytes appended as they are (to forge truncated or corrupt tails). */
  raw(b: Uint8Array): this {
    this.offsets.push(this.size);
    this.out.push(b);
    this.size += b.length;
    return this;
  }

  /** A Bytes in the current section's byte order, for block bodies. */
  body(): Bytes {
    return new Bytes(this.le);
  }

  /** The current section's byte order. */
  get littleEndian(): boolean {
    return this.le;
  }

  done(): Uint8Array {
    const all = new Uint8Array(this.size);
    let at = 0;
    for (const b of this.out) {
      all.set(b, at);
      at += b.length;
    }
    return all;
  }
}

/** Ethernet frame: destination, source, EtherType, payload. */
export function ether(dst: number[], src: number[], type: number, payload: Uint8Array): Uint8Array {
  return Uint8Array.from([...dst, ...src, type >> 8, type & 0xff, ...payload]);
}

/** A 20-byte IPv4 header (no options, protocol ICMP) plus `extra` payload bytes. */
export function ipv4(src: number[], dst: number[], extra = 8): Uint8Array {
  const total = 20 + extra;
  const b = new Uint8Array(total);
  b.set([0x45, 0, total >> 8, total & 0xff, 0, 0, 0x40, 0, 64, 1, 0, 0, ...src, ...dst]);
  return b;
}

/** A 40-byte IPv6 header (next header ICMPv6) plus `extra` payload bytes. */
export function ipv6(extra = 8): Uint8Array {
  const b = new Uint8Array(40 + extra);
  b.set([0x60, 0, 0, 0, extra >> 8, extra & 0xff, 58, 64]);
  b[23] = 1;
  b[39] = 2;
  return b;
}

/** LINKTYPE_LINUX_SLL header + payload: packet type, ARPHRD type, address, protocol. */
export function sll(packetType: number, hatype: number, addr: number[], protocol: number, payload: Uint8Array): Uint8Array {
  const a = [...addr, 0, 0, 0, 0, 0, 0, 0, 0].slice(0, 8);
  return Uint8Array.from([packetType >> 8, packetType & 0xff, hatype >> 8, hatype & 0xff, 0, addr.length, ...a,
    protocol >> 8, protocol & 0xff, ...payload]);
}

/** LINKTYPE_LINUX_SLL2 header + payload: protocol, ifindex, ARPHRD type, packet type, address. */
export function sll2(protocol: number, ifindex: number, hatype: number, packetType: number, addr: number[],
  payload: Uint8Array): Uint8Array {
  const a = [...addr, 0, 0, 0, 0, 0, 0, 0, 0].slice(0, 8);
  return Uint8Array.from([protocol >> 8, protocol & 0xff, 0, 0, ifindex >>> 24, (ifindex >> 16) & 0xff,
    (ifindex >> 8) & 0xff, ifindex & 0xff, hatype >> 8, hatype & 0xff, packetType, addr.length, ...a, ...payload]);
}

/** Deterministic PRNG (mulberry32) for fuzz tests. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
