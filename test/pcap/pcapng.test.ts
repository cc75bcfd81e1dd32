// pcapng files built by writer.ts: several interfaces and sections, every
// packet block type among blocks to skip, both byte orders, if_tsresol and
// if_tsoffset, epb_flags directions, and each error a block can raise.

import { describe, expect, it } from 'vitest';
import { Direction, LinkType, readCapture } from '../../src/pcap/index.js';
import { Bytes, PcapngWriter, ether, ipv4, optBytes, optText, optU32, optU64, sll2 } from './writer.js';

const MAC_A = [2, 0, 0, 0, 0, 1];
const MAC_B = [2, 0, 0, 0, 0, 2];
const frame = ether(MAC_B, MAC_A, 0x0800, ipv4([10, 200, 0, 1], [10, 200, 0, 2], 100)); // 134 bytes
const cooked = sll2(0x0800, 3, 1, 4, MAC_A, ipv4([10, 200, 0, 1], [10, 200, 0, 2]));

const IN = 1, OUT = 2;

describe('pcapng', () => {
  for (const littleEndian of [true, false]) {
    const le = littleEndian;
    it(`${le ? 'little' : 'big'}-endian: eth0 (Ethernet, usec) and any (SLL2, nsec, +1000 s) with EPB, SPB, PB and blocks to skip`, () => {
      const w = new PcapngWriter()
        .section(le, [optText(2, 'x86_64'), optText(3, 'Linux 6.1'), optText(4, 'writer.ts')])
        .interface(LinkType.Ethernet, 96, [optText(2, 'eth0'), optText(3, 'uplink'), { code: 11, value: Uint8Array.of(0, 105, 99, 109, 112) },
          optText(12, 'Linux'), optText(15, 'virtio'), optBytes(13, 4)])
        .interface(LinkType.LinuxSll2, 0, [optText(2, 'any'), optBytes(9, 9), optU64(14, 1000n, le)])
        .epb(0, 1700000000_123456n, frame.subarray(0, 96), [optText(1, 'a comment'), optU32(2, IN, le)], frame.length)
        .block(4, new Bytes(le).u16(1).u16(8).bytes(Uint8Array.of(10, 0, 0, 1, 104, 111, 115, 116)).u32(0).done())
        .epb(1, 1700000000_000000001n, cooked)
        .epb(1, 1700000000_000000002n, cooked, [optU32(2, IN, le)])
        .spb(frame.subarray(0, 96), frame.length)
        .pb(0, 1700000001_000000n, frame.subarray(0, 60), [optU32(2, OUT, le)], frame.length)
        .block(5, new Bytes(le).u32(0).u32(0).u32(0).done())
        .block(0x00000bad, new Bytes(le).u32(32473).u32(0xdeadbeef).done())
        .block(0x12345678, new Uint8Array(8))
        .epb(0, 1700000002_000000n, frame.subarray(0, 40), [optU32(2, 3 | (1 << 2), le)], frame.length);
      const bytes = w.done();
      const c = readCapture(bytes);
      expect(c.error).toBeNull();
      expect(c.format).toBe('pcapng');
      expect(c.sections).toEqual([
        { offset: 0, littleEndian: le, major: 1, minor: 0, hardware: 'x86_64', os: 'Linux 6.1', application: 'writer.ts' },
      ]);
      expect(c.interfaces).toHaveLength(2);
      expect(c.interfaces[0]).toEqual({
        linkType: 1, snaplen: 96, unitsPerSecond: 1_000_000n, tsOffset: 0n, fcsLength: 4, section: 0, id: 0,
        name: 'eth0', description: 'uplink', filter: 'icmp', os: 'Linux', hardware: 'virtio', offset: w.offsets[1],
      });
      expect(c.interfaces[1]).toMatchObject({ linkType: 276, snaplen: 0, unitsPerSecond: 1_000_000_000n, tsOffset: 1000n, name: 'any', id: 1 });

      const summary = c.packets.map((p) => [p.offset, p.interface, p.linkType, p.timestamp, p.data.length, p.originalLength, p.direction, p.flags]);
      const o = w.offsets;
      expect(summary).toEqual([
        [o[3], 0, 1, 1700000000_123456000n, 96, 134, Direction.Inbound, IN],
        [o[5], 1, 276, 1700001000_000000001n, cooked.length, cooked.length, Direction.Outbound, 0],
        [o[6], 1, 276, 1700001000_000000002n, cooked.length, cooked.length, Direction.Inbound, IN],
        [o[7], 0, 1, null, 96, 134, Direction.Unknown, 0],
        [o[8], 0, 1, 1700000001_000000000n, 60, 134, Direction.Outbound, OUT],
        [o[12], 0, 1, 1700000002_000000000n, 40, 134, Direction.Unknown, 3 | (1 << 2)],
      ]);
      const sll = c.packets[1]!;
      expect(sll).toMatchObject({ networkOffset: 20, protocol: 0x0800 });
      expect(sll.cooked).toMatchObject({ packetType: 4, ifindex: 3 });
      expect(c.packets[0]!.data.buffer).toBe(bytes.buffer);
    });
  }

  const resolutions: [string, number, bigint, bigint][] = [
    ['if_tsresol 0 (seconds)', 0, 1700000000n, 1700000000_000000000n],
    ['if_tsresol 3 (milliseconds)', 3, 1700000000_123n, 1700000000_123000000n],
    ['if_tsresol 6 (microseconds)', 6, 1700000000_123456n, 1700000000_123456000n],
    ['if_tsresol 9 (nanoseconds)', 9, 1700000000_123456789n, 1700000000_123456789n],
    ['if_tsresol 12 (picoseconds, rounded down)', 12, 1_123456789999n, 1_123456789n],
    ['if_tsresol 0x8a (2^-10 s)', 0x8a, 1700000000n * 1024n + 512n, 1700000000_500000000n],
    ['if_tsresol 0x80 (2^0 s)', 0x80, 5n, 5_000000000n],
  ];
  for (const [name, resol, units, ns] of resolutions) {
    it(name, () => {
      const bytes = new PcapngWriter().section().interface(1, 0, [optBytes(9, resol)]).epb(0, units, frame).done();
      const c = readCapture(bytes);
      expect(c.error).toBeNull();
      expect(c.packets[0]!.timestamp).toBe(ns);
    });
  }

  it('if_tsoffset -3600 with nanosecond resolution', () => {
    const bytes = new PcapngWriter().section().interface(1, 0, [optBytes(9, 9), optU64(14, -3600n)])
      .epb(0, 1700003600_000000007n, frame).done();
    expect(readCapture(bytes).packets[0]!.timestamp).toBe(1700000000_000000007n);
  });

  it('if_tsresol of the wrong size is ignored (microseconds stay)', () => {
    const bytes = new PcapngWriter().section().interface(1, 0, [optBytes(9, 9, 9)]).epb(0, 1_000001n, frame).done();
    expect(readCapture(bytes).packets[0]!.timestamp).toBe(1_000001000n);
  });

  it('three sections (little, big, little endian): interface IDs restart per section', () => {
    const w = new PcapngWriter()
      .section(true).interface(1, 0, [optText(2, 'a0')]).epb(0, 1n, frame)
      .section(false).interface(101, 0, [optText(2, 'b0')]).interface(1, 0, [optText(2, 'b1')])
      .epb(1, 2n, frame).epb(0, 3n, ipv4([1, 1, 1, 1], [2, 2, 2, 2]))
      .section(true).interface(113, 0, [optText(2, 'c0')]).epb(0, 4n, new Uint8Array(16));
    const c = readCapture(w.done());
    expect(c.error).toBeNull();
    expect(c.sections.map((s) => [s.offset, s.littleEndian])).toEqual([[0, true], [w.offsets[3], false], [w.offsets[8], true]]);
    expect(c.interfaces.map((i) => [i.name, i.section, i.id, i.linkType]))
      .toEqual([['a0', 0, 0, 1], ['b0', 1, 0, 101], ['b1', 1, 1, 1], ['c0', 2, 0, 113]]);
    expect(c.packets.map((p) => [p.interface, p.linkType, p.timestamp, p.protocol]))
      .toEqual([[0, 1, 1000n, 0x0800], [2, 1, 2000n, 0x0800], [1, 101, 3000n, 0x0800], [3, 113, 4000n, 0]]);
  });

  it('simple packet block without a snaplen limit takes all of its data', () => {
    const c = readCapture(new PcapngWriter().section().interface(1, 0).spb(frame).done());
    expect(c.packets[0]!.data.length).toBe(frame.length);
  });

  it('simple packet block padding is not data: original length 5 gives 5 bytes', () => {
    const c = readCapture(new PcapngWriter().section().interface(101, 0).spb(frame.subarray(0, 5)).done());
    expect(c.packets[0]!.data.length).toBe(5);
  });

  it('section header only: no packets, no error', () => {
    expect(readCapture(new PcapngWriter().section().done())).toMatchObject({ packets: [], interfaces: [], error: null });
  });

  describe('errors', () => {
    /** A file with one good packet, then `bad` blocks; returns the capture and the bad block's offset. */
    function afterOne(add: (w: PcapngWriter) => void) {
      const w = new PcapngWriter().section().interface(1).epb(0, 1n, frame);
      const at = w.done().length;
      add(w);
      const c = readCapture(w.done());
      expect(c.packets).toHaveLength(1);
      return { error: c.error, at };
    }

    it('block length 7', () => {
      const { error, at } = afterOne((w) => w.block(0x12345678, new Uint8Array(8), [], 7));
      expect(error).toEqual({ offset: at, message: `bad pcapng block length 7 at offset ${at}` });
    });

    it('block length 30, not a multiple of 4', () => {
      const { error, at } = afterOne((w) => w.block(0x12345678, new Uint8Array(20), [], 30));
      expect(error!.message).toBe(`bad pcapng block length 30 at offset ${at}`);
    });

    it('enhanced packet block of 28 bytes, below its 32-byte minimum', () => {
      const { error, at } = afterOne((w) => w.block(6, new Uint8Array(16)));
      expect(error!.message).toBe(`bad pcapng enhanced packet block length 28 at offset ${at}: minimum is 32`);
    });

    it('trailer length differs from header length', () => {
      const { error, at } = afterOne((w) => w.block(0x12345678, new Uint8Array(8), [], undefined, 24));
      expect(error!.message).toBe(`pcapng block length mismatch at offset ${at}: header says 20, trailer says 24`);
    });

    it('block longer than the rest of the file', () => {
      const { error, at } = afterOne((w) => w.block(0x12345678, new Uint8Array(8), [], 1000));
      expect(error!.message).toBe(`truncated pcapng block at offset ${at}: need 1000 bytes, have 20`);
    });

    it('8 stray bytes after the last block', () => {
      const { error, at } = afterOne((w) => w.raw(new Uint8Array(8)));
      expect(error!.message).toBe(`truncated pcapng block header at offset ${at}: need 12 bytes, have 8`);
    });

    it('packet on interface 1 of a section with one interface', () => {
      const { error, at } = afterOne((w) => w.epb(1, 0n, frame));
      expect(error!.message).toBe(`pcapng enhanced packet block at offset ${at} refers to interface 1, but its section has 1`);
    });

    it('interfaces of an earlier section are gone after a new section header', () => {
      const { error } = afterOne((w) => w.section().spb(frame));
      expect(error!.message).toMatch(/^pcapng simple packet block at offset \d+ refers to interface 0, but its section has 0$/);
    });

    it('obsolete packet block on an unknown interface', () => {
      const { error, at } = afterOne((w) => w.pb(9, 0n, frame));
      expect(error!.message).toBe(`pcapng packet block at offset ${at} refers to interface 9, but its section has 1`);
    });

    it('captured length larger than the block', () => {
      const { error, at } = afterOne((w) => {
        const le = w.littleEndian;
        w.block(6, new Bytes(le).u32(0).u32(0).u32(0).u32(500).u32(500).u32(0).done());
      });
      expect(error!.message).toBe(`bad pcapng enhanced packet block at offset ${at}: captured length 500 exceeds the block's 4 bytes of data`);
    });

    it('option running past the end of its block', () => {
      const { error, at } = afterOne((w) => {
        const body = new Bytes(true).u32(0).u32(0).u32(0).u32(4).u32(4).u32(0).u16(2).u16(100).u32(1).done();
        w.block(6, body);
      });
      const opt = at + 8 + 24;
      expect(error!.message).toBe(`bad pcapng option length 100 at offset ${opt} in block at offset ${at}: 4 bytes left`);
    });

    it('bad byte-order magic in a second section header', () => {
      const { error, at } = afterOne((w) => w.block(0x0a0d0d0a, new Bytes(true).u32(0x11223344).u32(1).u64(-1n).done()));
      expect(error!.message).toBe(`bad pcapng byte-order magic 0x11223344 at offset ${at + 8}`);
    });

    it('pcapng version 2.0 is refused', () => {
      const { error, at } = afterOne((w) => w.section(true, [], 2, 0));
      expect(error!.message).toBe(`unsupported pcapng version 2.0 at offset ${at}`);
    });
  });
});
