// What the capture readers produce: packets (zero-copy views into the file),
// the interfaces that captured them, file sections and the one error that
// stops a read. Shared by pcap.ts and pcapng.ts; the counterpart of libpcap's
// struct pcap_pkthdr plus the pcapng per-interface and per-packet metadata.

import type { CookedHeader } from './cooked.js';

/** Packet direction (pcapng epb_flags bits 0-1; values are the file's). */
export enum Direction { Unknown = 0, Inbound = 1, Outbound = 2 }

/** One captured packet. All offsets are byte offsets. */
export interface Packet {
  /** Capture time in nanoseconds since 1970-01-01 UTC; null for a pcapng Simple Packet Block, which has none. */
  timestamp: bigint | null;
  /** Index into the capture's `interfaces` (always 0 in a pcap file). */
  interface: number;
  /** LINKTYPE_* of `data` (see LinkType). */
  linkType: number;
  /** The captured bytes: a view into the input buffer, never a copy. */
  data: Uint8Array;
  /** Length on the wire; larger than data.length when the snaplen cut the packet. */
  originalLength: number;
  /** From pcapng epb_flags/pack_flags, else from a cooked header's packet type, else Unknown. */
  direction: Direction;
  /** The pcapng epb_flags/pack_flags word (direction, reception type, FCS length, errors); 0 if absent. */
  flags: number;
  /** Where the network header (IP, ARP, ...) starts in `data`; -1 for an unknown link type or a cut link header. */
  networkOffset: number;
  /** EtherType of the network header (0x0800 IPv4, 0x86dd IPv6, ...); 0 if unknown. */
  protocol: number;
  /** Decoded Linux cooked header (LINKTYPE_LINUX_SLL/SLL2), else null. */
  cooked: CookedHeader | null;
  /** Offset in the file of the packet's record (pcap) or block (pcapng). */
  offset: number;
}

/** An interface that captured packets: the pcap file header, or a pcapng Interface Description Block. */
export interface CaptureInterface {
  /** LINKTYPE_* of its packets. */
  linkType: number;
  /** Maximum captured bytes per packet; 0 means no limit (pcapng). */
  snaplen: number;
  /** Timestamp units per second (1e6 for microseconds, 1e9 for nanoseconds; pcapng if_tsresol). */
  unitsPerSecond: bigint;
  /** Seconds added to every timestamp (pcapng if_tsoffset), usually 0. */
  tsOffset: bigint;
  /** Bytes of frame check sequence at the end of each packet, null if unknown (pcap FCS bits, pcapng if_fcslen). */
  fcsLength: number | null;
  /** Index into the capture's `sections`. */
  section: number;
  /** Interface ID inside its section, as packets of that section refer to it. */
  id: number;
  /** if_name, if_description, if_filter (text), if_os and if_hardware; null when absent. */
  name: string | null;
  description: string | null;
  filter: string | null;
  os: string | null;
  hardware: string | null;
  /** Offset in the file of the header or block that described it. */
  offset: number;
}

/** A pcap file header or a pcapng Section Header Block. */
export interface Section {
  /** Offset of its header in the file. */
  offset: number;
  /** Byte order of its numbers (pcap: magic; pcapng: byte-order magic). */
  littleEndian: boolean;
  /** Format version (pcap 2.4, pcapng 1.0). */
  major: number;
  minor: number;
  /** shb_hardware, shb_os, shb_userappl; null when absent (always in pcap). */
  hardware: string | null;
  os: string | null;
  application: string | null;
}

/** Why reading stopped early: what went wrong, and where. */
export interface CaptureError {
  /** Byte offset of the faulty header, record or block. */
  offset: number;
  /** Full text, offset included: `truncated packet record at offset 1234: need 1500 bytes, have 200`. */
  message: string;
}

/** What a format reader implements: packets one at a time, then null. */
export interface PacketSource {
  /** The next packet, or null at the end of the file or at the first error. */
  next(): Packet | null;
  /** Interfaces seen so far (pcapng adds them as blocks are read). */
  readonly interfaces: CaptureInterface[];
  /** Sections seen so far. */
  readonly sections: Section[];
  /** Set once reading stopped on an error. */
  readonly error: CaptureError | null;
}

/** Round up to a multiple of 4 (pcapng padding). */
export function pad4(n: number): number {
  return (n + 3) & ~3;
}

/** `need N bytes, have M` message for a cut header, record or block. */
export function truncated(what: string, offset: number, need: number, have: number): CaptureError {
  return { offset, message: `truncated ${what} at offset ${offset}: need ${need} bytes, have ${have}` };
}

const utf8 = new TextDecoder('utf-8');

/** Decode an option string (UTF-8; some writers add trailing NULs). */
export function decodeText(bytes: Uint8Array): string {
  let end = bytes.length;
  while (end > 0 && bytes[end - 1] === 0) end--;
  return utf8.decode(bytes.subarray(0, end));
}
