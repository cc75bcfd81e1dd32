// Capture file reading for nftvm: pcap or pcapng, told apart by the magic,
// from a Uint8Array (browser-safe, no Node imports). Packets are views into
// the input. Reading never throws: it stops at the first bad byte with an
// error naming its offset, keeping every packet before it.

import { PcapReader, isPcapMagic } from './pcap.js';
import { PcapngReader, isPcapngMagic } from './pcapng.js';
import { truncated, type CaptureError, type CaptureInterface, type Packet, type PacketSource, type Section } from './packet.js';

export { Direction, type CaptureError, type CaptureInterface, type Packet, type Section } from './packet.js';
export { PacketType, packetTypeName, packetTypeDirection, decodeSll, decodeSll2, type CookedHeader } from './cooked.js';
export { LinkType, linkTypeName, ETH_P_IP, ETH_P_IPV6 } from './linktype.js';
export { PcapReader } from './pcap.js';
export { PcapngReader } from './pcapng.js';

/** Container format of a capture file. */
export type CaptureFormat = 'pcap' | 'pcapng';

/** A whole capture read at once. */
export interface Capture {
  /** pcap or pcapng; null when the input is neither. */
  format: CaptureFormat | null;
  /** Every packet up to the end, or up to the error. */
  packets: Packet[];
  /** Interfaces (a pcap file has exactly one); Packet.interface indexes this. */
  interfaces: CaptureInterface[];
  /** pcap file header or pcapng section headers; CaptureInterface.section indexes this. */
  sections: Section[];
  /** Why reading stopped before the end of the input, null if it did not. */
  error: CaptureError | null;
}

/** A source that yields nothing: the input is not a capture file. */
class Unreadable implements PacketSource {
  readonly interfaces: CaptureInterface[] = [];
  readonly sections: Section[] = [];
  constructor(readonly error: CaptureError) {}
  next(): null {
    return null;
  }
}

function sniff(bytes: Uint8Array): PacketSource {
  if (isPcapngMagic(bytes)) return new PcapngReader(bytes);
  if (isPcapMagic(bytes)) return new PcapReader(bytes);
  if (bytes.length < 4) {
    return new Unreadable(truncated('capture file header', 0, 4, bytes.length));
  }
  const hex = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join('');
  return new Unreadable({ offset: 0, message: `unknown capture file magic ${hex} at offset 0: not pcap or pcapng` });
}

/**
 * Iterator over the packets of a capture, for files too large to hold as one
 * packet array: `for (const p of reader) ...`, then check `reader.error`.
 * `interfaces` and `sections` grow as the read goes on.
 */
export class CaptureReader implements IterableIterator<Packet> {
  /** pcap or pcapng; null when the input is neither. */
  readonly format: CaptureFormat | null;
  private readonly source: PacketSource;
  private internal: CaptureError | null = null;

  /** Start reading `bytes` (any Uint8Array view; it is never copied or written). */
  constructor(bytes: Uint8Array) {
    this.source = sniff(bytes);
    this.format = this.source instanceof PcapngReader ? 'pcapng' : this.source instanceof PcapReader ? 'pcap' : null;
  }

  /** Interfaces seen so far. */
  get interfaces(): CaptureInterface[] {
    return this.source.interfaces;
  }

  /** Sections seen so far. */
  get sections(): Section[] {
    return this.source.sections;
  }

  /** Why reading stopped early, or null. */
  get error(): CaptureError | null {
    return this.internal ?? this.source.error;
  }

  /** The next packet; done at the end of the input or at the first error. */
  next(): IteratorResult<Packet, undefined> {
    if (this.internal === null) {
      try {
        const p = this.source.next();
        if (p !== null) return { done: false, value: p };
      } catch (e) {
        // The readers check every bound first; this guard keeps the never-throw promise if one is missed.
        this.internal = { offset: 0, message: `internal error reading capture: ${String(e)}` };
      }
    }
    return { done: true, value: undefined };
  }

  [Symbol.iterator](): this {
    return this;
  }
}

/** Iterate over the packets of a pcap or pcapng file. */
export function openCapture(bytes: Uint8Array): CaptureReader {
  return new CaptureReader(bytes);
}

/** Read a whole pcap or pcapng file: its packets, interfaces, sections and the error that stopped it, if any. */
export function readCapture(bytes: Uint8Array): Capture {
  const reader = new CaptureReader(bytes);
  const packets: Packet[] = [];
  for (const p of reader) packets.push(p);
  return { format: reader.format, packets, interfaces: reader.interfaces, sections: reader.sections, error: reader.error };
}
