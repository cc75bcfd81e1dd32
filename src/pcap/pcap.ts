// Reader for classic pcap files (libpcap's savefile.c/sf-pcap.c): a 24-byte
// file header, then 16-byte record headers each followed by the packet bytes.
// Magic a1b2c3d4 = microsecond, a1b23c4d = nanosecond timestamps; byte-swapped
// magics mark files written on a host of the other byte order.

import { recordPacket } from './linktype.js';
import {
  Direction, truncated,
  type CaptureError, type CaptureInterface, type Packet, type PacketSource, type Section,
} from './packet.js';

/** pcap magic for microsecond timestamps, as a u32 in the file's byte order. */
export const PCAP_MAGIC_USEC = 0xa1b2c3d4;
/** pcap magic for nanosecond timestamps, as a u32 in the file's byte order. */
export const PCAP_MAGIC_NSEC = 0xa1b23c4d;
/** Length of the pcap file header. */
export const PCAP_FILE_HEADER_LEN = 24;
/** Length of a pcap record header (ts_sec, ts_frac, incl_len, orig_len). */
export const PCAP_RECORD_HEADER_LEN = 16;
/** libpcap's MAXIMUM_SNAPLEN: a record may exceed the file's snaplen up to this. */
const MAXIMUM_SNAPLEN = 262144;

/** True if the first 4 bytes are a pcap magic in either byte order. */
export function isPcapMagic(bytes: Uint8Array): boolean {
  if (bytes.length < 4) return false;
  const view = new DataView(bytes.buffer, bytes.byteOffset, 4);
  const m = view.getUint32(0, true);
  const s = view.getUint32(0, false);
  return m === PCAP_MAGIC_USEC || m === PCAP_MAGIC_NSEC || s === PCAP_MAGIC_USEC || s === PCAP_MAGIC_NSEC;
}

/** Streams the packets of a pcap file; a bad header or record stops it with `error` set. */
export class PcapReader implements PacketSource {
  readonly interfaces: CaptureInterface[] = [];
  readonly sections: Section[] = [];
  error: CaptureError | null = null;
  private readonly view: DataView;
  private readonly le: boolean = true;
  private pos = PCAP_FILE_HEADER_LEN;
  private linkType = 0;
  private maxCaplen = 0;
  private fracToNs = 1000n;

  /** Parse the file header of `bytes`; on failure `error` is set and next() returns null. */
  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (bytes.length < PCAP_FILE_HEADER_LEN) {
      this.error = truncated('pcap file header', 0, PCAP_FILE_HEADER_LEN, bytes.length);
      return;
    }
    const magicLe = this.view.getUint32(0, true);
    this.le = magicLe === PCAP_MAGIC_USEC || magicLe === PCAP_MAGIC_NSEC;
    const magic = this.view.getUint32(0, this.le);
    if (magic !== PCAP_MAGIC_USEC && magic !== PCAP_MAGIC_NSEC) {
      this.error = { offset: 0, message: `bad pcap magic 0x${magicLe.toString(16).padStart(8, '0')} at offset 0` };
      return;
    }
    this.fracToNs = magic === PCAP_MAGIC_NSEC ? 1n : 1000n;
    const major = this.view.getUint16(4, this.le);
    const minor = this.view.getUint16(6, this.le);
    if (major !== 2) {
      this.error = { offset: 4, message: `unsupported pcap version ${major}.${minor} at offset 4` };
      return;
    }
    const snaplen = this.view.getUint32(16, this.le);
    // The link-type word carries FCS information in its top bits (libpcap LT_FCS_*).
    const network = this.view.getUint32(20, this.le);
    this.linkType = network & 0xffff;
    this.maxCaplen = Math.max(snaplen, MAXIMUM_SNAPLEN);
    this.sections.push({ offset: 0, littleEndian: this.le, major, minor, hardware: null, os: null, application: null });
    this.interfaces.push({
      linkType: this.linkType,
      snaplen,
      unitsPerSecond: magic === PCAP_MAGIC_NSEC ? 1_000_000_000n : 1_000_000n,
      tsOffset: 0n,
      fcsLength: network & 0x04000000 ? (network >>> 28) * 2 : null,
      section: 0,
      id: 0,
      name: null,
      description: null,
      filter: null,
      os: null,
      hardware: null,
      offset: 0,
    });
  }

  /** The next packet, or null at the end of the file or on an error. */
  next(): Packet | null {
    if (this.error !== null) return null;
    const { view, le, pos } = this;
    const have = this.bytes.length - pos;
    if (have === 0) return null;
    if (have < PCAP_RECORD_HEADER_LEN) {
      this.error = truncated('packet record header', pos, PCAP_RECORD_HEADER_LEN, have);
      return null;
    }
    const caplen = view.getUint32(pos + 8, le);
    if (caplen > this.maxCaplen) {
      this.error = {
        offset: pos,
        message: `bad packet record at offset ${pos}: captured length ${caplen} exceeds snaplen ${this.maxCaplen}`,
      };
      return null;
    }
    const need = PCAP_RECORD_HEADER_LEN + caplen;
    if (need > have) {
      this.error = truncated('packet record', pos, need, have);
      return null;
    }
    const sec = view.getUint32(pos, le);
    const frac = view.getUint32(pos + 4, le);
    const start = pos + PCAP_RECORD_HEADER_LEN;
    this.pos = start + caplen;
    return recordPacket({
      timestamp: BigInt(sec) * 1_000_000_000n + BigInt(frac) * this.fracToNs,
      interface: 0,
      linkType: this.linkType,
      data: this.bytes.subarray(start, start + caplen),
      originalLength: view.getUint32(pos + 12, le),
      direction: Direction.Unknown,
      flags: 0,
      offset: pos,
    });
  }
}
