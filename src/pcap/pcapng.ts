// Reader for pcapng files (draft-ietf-opsawg-pcapng; libpcap's sf-pcapng.c):
// sections (SHB, each with its own byte order), interfaces (IDB with if_tsresol,
// if_tsoffset, ...), packets (EPB, SPB, obsolete PB with epb_flags/pack_flags);
// every other block type is skipped by its length.

import { recordPacket } from './linktype.js';
import {
  decodeText, Direction, pad4, truncated,
  type CaptureError, type CaptureInterface, type Packet, type PacketSource, type Section,
} from './packet.js';

/** Block types (pcapng BT_*); values are the file's. */
export enum BlockType {
  InterfaceDescription = 0x00000001,
  Packet = 0x00000002,
  SimplePacket = 0x00000003,
  NameResolution = 0x00000004,
  InterfaceStatistics = 0x00000005,
  EnhancedPacket = 0x00000006,
  SectionHeader = 0x0a0d0d0a,
}

/** Byte-order magic of a Section Header Block. */
export const PCAPNG_BYTE_ORDER_MAGIC = 0x1a2b3c4d;

/** Option codes used here (opt_endofopt, epb_flags = pack_flags, if_* and shb_*). */
const enum Opt {
  EndOfOpt = 0,
  Flags = 2,
  ShbHardware = 2, ShbOs = 3, ShbUserAppl = 4,
  IfName = 2, IfDescription = 3, IfTsResol = 9, IfFilter = 11, IfOs = 12, IfFcsLen = 13, IfTsOffset = 14,
  IfHardware = 15,
}

/** Smallest total length of each block type we read: 12 bytes of framing plus its fixed fields. */
const MIN_LENGTH: Record<number, [number, string]> = {
  [BlockType.SectionHeader]: [28, 'section header'],
  [BlockType.InterfaceDescription]: [20, 'interface description'],
  [BlockType.EnhancedPacket]: [32, 'enhanced packet'],
  [BlockType.SimplePacket]: [16, 'simple packet'],
  [BlockType.Packet]: [32, 'packet'],
};

/** True if the first 4 bytes are a pcapng Section Header Block type. */
export function isPcapngMagic(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x0a && bytes[1] === 0x0d && bytes[2] === 0x0d && bytes[3] === 0x0a;
}

/** Called per option with its code, value offset and value length. */
type OptionVisitor = (code: number, value: number, len: number) => void;

function hex32(v: number): string {
  return v.toString(16).padStart(8, '0');
}

/** Interface state for timestamp conversion: ns = units * mul / div + offsetNs. */
interface TimeScale { mul: bigint; div: bigint; offsetNs: bigint }

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

/** Streams the packets of a pcapng file; a bad block stops it with `error` set. */
export class PcapngReader implements PacketSource {
  readonly interfaces: CaptureInterface[] = [];
  readonly sections: Section[] = [];
  error: CaptureError | null = null;
  private readonly view: DataView;
  private le = true;
  private pos = 0;
  /** Global interface index of each interface ID of the current section. */
  private sectionInterfaces: number[] = [];
  private readonly scales: TimeScale[] = [];

  /** Prepare to read `bytes`, which start with a Section Header Block. */
  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** The next packet, or null at the end of the file or on an error. */
  next(): Packet | null {
    while (this.error === null && this.pos < this.bytes.length) {
      const p = this.block();
      if (p !== null) return p;
    }
    return null;
  }

  private fail(offset: number, message: string): null {
    return this.stop({ offset, message });
  }

  private stop(error: CaptureError): null {
    this.error = error;
    return null;
  }

  /** Read the block at `pos`, advance past it, return its packet if it has one. */
  private block(): Packet | null {
    const { view, pos } = this;
    const have = this.bytes.length - pos;
    if (have < 12) return this.stop(truncated('pcapng block header', pos, 12, have));
    let type = view.getUint32(pos, this.le);
    if (type === BlockType.SectionHeader) {
      // The byte-order magic decides how to read this block's length, and the rest of the section.
      const bom = view.getUint32(pos + 8, true);
      if (bom === PCAPNG_BYTE_ORDER_MAGIC) this.le = true;
      else if (view.getUint32(pos + 8, false) === PCAPNG_BYTE_ORDER_MAGIC) this.le = false;
      else return this.fail(pos + 8, `bad pcapng byte-order magic 0x${hex32(bom)} at offset ${pos + 8}`);
    } else if (this.sections.length === 0) {
      return this.fail(pos, `pcapng file does not start with a section header block at offset ${pos}`);
    }
    type = view.getUint32(pos, this.le);
    const length = view.getUint32(pos + 4, this.le);
    if (length < 12 || length % 4 !== 0) return this.fail(pos, `bad pcapng block length ${length} at offset ${pos}`);
    const min = MIN_LENGTH[type];
    if (min !== undefined && length < min[0]) {
      return this.fail(pos, `bad pcapng ${min[1]} block length ${length} at offset ${pos}: minimum is ${min[0]}`);
    }
    if (length > have) return this.stop(truncated('pcapng block', pos, length, have));
    const trailer = view.getUint32(pos + length - 4, this.le);
    if (trailer !== length) {
      return this.fail(pos, `pcapng block length mismatch at offset ${pos}: header says ${length}, trailer says ${trailer}`);
    }
    this.pos = pos + length;
    const body = pos + 8;
    const end = pos + length - 4;
    switch (type) {
      case BlockType.SectionHeader: return this.sectionHeader(pos, body, end);
      case BlockType.InterfaceDescription: return this.interfaceDescription(pos, body, end);
      case BlockType.EnhancedPacket: return this.enhancedPacket(pos, body, end);
      case BlockType.SimplePacket: return this.simplePacket(pos, body, end);
      case BlockType.Packet: return this.obsoletePacket(pos, body, end);
      default: return null;
    }
  }

  /**
   * Walk the options in [start, end) and call `each` per option (not for
   * opt_endofopt). Returns false, with `error` set, if one overruns the block.
   */
  private options(block: number, start: number, end: number, each: OptionVisitor): boolean {
    let p = start;
    while (end - p >= 4) {
      const code = this.view.getUint16(p, this.le);
      const len = this.view.getUint16(p + 2, this.le);
      if (code === Opt.EndOfOpt) return true;
      if (len > end - p - 4) {
        const left = end - p - 4;
        this.fail(p, `bad pcapng option length ${len} at offset ${p} in block at offset ${block}: ${left} bytes left`);
        return false;
      }
      each(code, p + 4, len);
      p += 4 + pad4(len);
    }
    return true;
  }

  private text(value: number, len: number): string {
    return decodeText(this.bytes.subarray(value, value + len));
  }

  private sectionHeader(pos: number, body: number, end: number): null {
    const major = this.view.getUint16(body + 4, this.le);
    const minor = this.view.getUint16(body + 6, this.le);
    if (major !== 1) return this.fail(pos, `unsupported pcapng version ${major}.${minor} at offset ${pos}`);
    const section: Section = {
      offset: pos, littleEndian: this.le, major, minor, hardware: null, os: null, application: null,
    };
    // Body: byte-order magic (4), major (2), minor (2), section length (8), options.
    const ok = this.options(pos, body + 16, end, (code, value, len) => {
      if (code === Opt.ShbHardware) section.hardware = this.text(value, len);
      else if (code === Opt.ShbOs) section.os = this.text(value, len);
      else if (code === Opt.ShbUserAppl) section.application = this.text(value, len);
    });
    if (!ok) return null;
    this.sections.push(section);
    this.sectionInterfaces = [];
    return null;
  }

  private interfaceDescription(pos: number, body: number, end: number): null {
    const iface: CaptureInterface = {
      linkType: this.view.getUint16(body, this.le),
      snaplen: this.view.getUint32(body + 4, this.le),
      unitsPerSecond: 1_000_000n,
      tsOffset: 0n,
      fcsLength: null,
      section: this.sections.length - 1,
      id: this.sectionInterfaces.length,
      name: null,
      description: null,
      filter: null,
      os: null,
      hardware: null,
      offset: pos,
    };
    // Fixed-size options of the wrong size are ignored, as Wireshark does.
    const ok = this.options(pos, body + 8, end, (code, value, len) => {
      switch (code) {
        case Opt.IfName: iface.name = this.text(value, len); break;
        case Opt.IfDescription: iface.description = this.text(value, len); break;
        case Opt.IfFilter: if (len >= 1) iface.filter = this.text(value + 1, len - 1); break;
        case Opt.IfOs: iface.os = this.text(value, len); break;
        case Opt.IfHardware: iface.hardware = this.text(value, len); break;
        case Opt.IfFcsLen: if (len === 1) iface.fcsLength = this.bytes[value]!; break;
        case Opt.IfTsOffset: if (len === 8) iface.tsOffset = this.view.getBigInt64(value, this.le); break;
        case Opt.IfTsResol:
          if (len === 1) {
            // High bit set: a negative power of 2, else of 10.
            const r = this.bytes[value]!;
            iface.unitsPerSecond = r & 0x80 ? 1n << BigInt(r & 0x7f) : 10n ** BigInt(r);
          }
          break;
      }
    });
    if (!ok) return null;
    const g = gcd(1_000_000_000n, iface.unitsPerSecond);
    this.scales.push({ mul: 1_000_000_000n / g, div: iface.unitsPerSecond / g, offsetNs: iface.tsOffset * 1_000_000_000n });
    this.sectionInterfaces.push(this.interfaces.length);
    this.interfaces.push(iface);
    return null;
  }

  /** Global index of interface `id` of the current section, or -1 with `error` set. */
  private interfaceIndex(pos: number, id: number, what: string): number {
    const index = this.sectionInterfaces[id];
    if (index !== undefined) return index;
    const count = this.sectionInterfaces.length;
    this.fail(pos, `pcapng ${what} block at offset ${pos} refers to interface ${id}, but its section has ${count}`);
    return -1;
  }

  private timestamp(index: number, high: number, low: number): bigint {
    const s = this.scales[index]!;
    const units = (BigInt(high) << 32n) | BigInt(low);
    return (s.div === 1n ? units * s.mul : (units * s.mul) / s.div) + s.offsetNs;
  }

  /** A packet from its fields; flags come from epb_flags/pack_flags if the block has them. */
  private packet(pos: number, index: number, timestamp: bigint | null, start: number, caplen: number, originalLength: number,
    flags: number): Packet {
    return recordPacket({
      timestamp,
      interface: index,
      linkType: this.interfaces[index]!.linkType,
      data: this.bytes.subarray(start, start + caplen),
      originalLength,
      direction: (flags & 3) === 3 ? Direction.Unknown : (flags & 3) as Direction,
      flags,
      offset: pos,
    });
  }

  /** The epb_flags/pack_flags word among the options in [start, end), 0 if none; null on a bad option. */
  private flags(pos: number, start: number, end: number): number | null {
    if (start >= end) return 0;
    let flags = 0;
    const ok = this.options(pos, start, end, (code, value, len) => {
      if (code === Opt.Flags && len === 4) flags = this.view.getUint32(value, this.le);
    });
    return ok ? flags : null;
  }

  /** EPB body: interface ID, timestamp high, low, captured length, original length, data, options. */
  private enhancedPacket(pos: number, body: number, end: number): Packet | null {
    return this.timedPacket(pos, body, end, this.view.getUint32(body, this.le), 'enhanced packet');
  }

  /** Obsolete PB body: interface ID (16 bits), drops count (16 bits), then as EPB. */
  private obsoletePacket(pos: number, body: number, end: number): Packet | null {
    return this.timedPacket(pos, body, end, this.view.getUint16(body, this.le), 'packet');
  }

  private timedPacket(pos: number, body: number, end: number, id: number, what: string): Packet | null {
    const index = this.interfaceIndex(pos, id, what);
    if (index < 0) return null;
    const caplen = this.view.getUint32(body + 12, this.le);
    const start = body + 20;
    if (caplen > end - start) {
      const room = end - start;
      return this.fail(pos, `bad pcapng ${what} block at offset ${pos}: captured length ${caplen} exceeds the block's ${room} bytes of data`);
    }
    const flags = this.flags(pos, start + pad4(caplen), end);
    if (flags === null) return null;
    const ts = this.timestamp(index, this.view.getUint32(body + 4, this.le), this.view.getUint32(body + 8, this.le));
    return this.packet(pos, index, ts, start, caplen, this.view.getUint32(body + 16, this.le), flags);
  }

  /** SPB body: original length, data; interface 0, no timestamp, captured length = min(original, snaplen, block). */
  private simplePacket(pos: number, body: number, end: number): Packet | null {
    const index = this.interfaceIndex(pos, 0, 'simple packet');
    if (index < 0) return null;
    const originalLength = this.view.getUint32(body, this.le);
    const snaplen = this.interfaces[index]!.snaplen;
    let caplen = Math.min(originalLength, end - body - 4);
    if (snaplen !== 0) caplen = Math.min(caplen, snaplen);
    return this.packet(pos, index, null, body + 4, caplen, originalLength, 0);
  }
}
