// Robustness of the readers: a small pcap and pcapng file cut at every
// offset (the packets before the cut survive, the error names an offset),
// then seeded random and mutated inputs that must never throw, hang or
// produce a view outside the input.

import { describe, expect, it } from 'vitest';
import { readCapture, type Capture } from '../../src/pcap/index.js';
import { PcapngWriter, ether, ipv4, optBytes, optText, optU32, pcapFile, rng, sll, sll2 } from './writer.js';

const MAC = [2, 0, 0, 0, 0, 1];
const v4 = ipv4([10, 0, 0, 1], [10, 0, 0, 2], 9);

/** Checks that hold for any input: views inside it, errors that name a plausible offset. */
function sane(input: Uint8Array, c: Capture): void {
  const lo = input.byteOffset, hi = input.byteOffset + input.length;
  for (const p of c.packets) {
    expect(p.data.buffer).toBe(input.buffer);
    expect(p.data.byteOffset).toBeGreaterThanOrEqual(lo);
    expect(p.data.byteOffset + p.data.length).toBeLessThanOrEqual(hi);
    expect(p.offset).toBeGreaterThanOrEqual(0);
    expect(p.offset).toBeLessThan(input.length);
    if (p.cooked) expect(p.cooked.address.byteOffset + p.cooked.address.length).toBeLessThanOrEqual(hi);
    expect(p.interface).toBeLessThan(c.interfaces.length);
  }
  if (c.error) {
    expect(c.error.message).not.toMatch(/^internal error/);
    expect(c.error.offset).toBeGreaterThanOrEqual(0);
    expect(c.error.offset).toBeLessThanOrEqual(input.length);
    expect(c.error.message).toContain(`offset ${c.error.offset}`);
  }
}

/**
 * Cut `file` at every offset. A cut exactly at a record/block boundary is a
 * shorter valid file; any other cut keeps the packets ending before it and
 * reports an error at or before the cut.
 */
function cutEverywhere(file: Uint8Array, packetEnds: number[], boundaries: Set<number>): void {
  const whole = readCapture(file);
  expect(whole.error).toBeNull();
  expect(whole.packets).toHaveLength(packetEnds.length);
  for (let n = 0; n < file.length; n++) {
    const cut = file.slice(0, n);
    const c = readCapture(cut);
    sane(cut, c);
    const before = packetEnds.filter((end) => end <= n).length;
    expect(c.packets.length, `cut at ${n}`).toBe(before);
    for (let i = 0; i < before; i++) expect(Array.from(c.packets[i]!.data)).toEqual(Array.from(whole.packets[i]!.data));
    if (boundaries.has(n)) {
      expect(c.error, `cut at ${n}`).toBeNull();
    } else {
      expect(c.error, `cut at ${n}`).not.toBeNull();
      expect(c.error!.offset).toBeLessThanOrEqual(n);
    }
  }
}

function smallPcap(littleEndian: boolean): { file: Uint8Array; ends: number[] } {
  const data = [ether(MAC, MAC, 0x0800, v4), v4.subarray(0, 13), new Uint8Array(0), ether(MAC, MAC, 0x86dd, v4)];
  const file = pcapFile({ linkType: 1, littleEndian, nano: true }, data.map((d, i) => ({ sec: i, frac: i, data: d })));
  const ends: number[] = [];
  let at = 24;
  for (const d of data) ends.push((at += 16 + d.length));
  return { file, ends };
}

function smallPcapng(littleEndian: boolean): { w: PcapngWriter; file: Uint8Array } {
  const w = new PcapngWriter()
    .section(littleEndian, [optText(4, 'fuzz')])
    .interface(1, 0, [optText(2, 'eth0')])
    .interface(276, 0, [optBytes(9, 9)])
    .epb(0, 1n, ether(MAC, MAC, 0x0800, v4), [optU32(2, 1, littleEndian)])
    .block(5, new Uint8Array(12))
    .epb(1, 2n, sll2(0x0800, 2, 1, 4, MAC, v4))
    .spb(v4.subarray(0, 7))
    .pb(0, 3n, ether(MAC, MAC, 0x0800, v4))
    .section(!littleEndian)
    .interface(113, 0)
    .epb(0, 4n, sll(0, 1, MAC, 0x0800, v4));
  return { w, file: w.done() };
}

describe('truncation at every offset', () => {
  for (const le of [true, false]) {
    it(`pcap, ${le ? 'little' : 'big'}-endian, 4 packets`, () => {
      const { file, ends } = smallPcap(le);
      cutEverywhere(file, ends, new Set([24, ...ends]));
    });

    it(`pcapng, ${le ? 'little' : 'big'}-endian then the other, 2 sections, 5 packets`, () => {
      const { w, file } = smallPcapng(le);
      const o = [...w.offsets, file.length];
      const packetBlocks = [3, 5, 6, 7, 10];
      cutEverywhere(file, packetBlocks.map((b) => o[b + 1]!), new Set(o.slice(1)));
    });
  }

  it('cut inside the first 4 bytes: the format cannot be told', () => {
    expect(readCapture(new Uint8Array(0)).error)
      .toEqual({ offset: 0, message: 'truncated capture file header at offset 0: need 4 bytes, have 0' });
    expect(readCapture(Uint8Array.of(0xd4, 0xc3)).error!.message)
      .toBe('truncated capture file header at offset 0: need 4 bytes, have 2');
  });
});

describe('fuzz (seeded)', () => {
  const magics = [[0xd4, 0xc3, 0xb2, 0xa1], [0xa1, 0xb2, 0xc3, 0xd4], [0x4d, 0x3c, 0xb2, 0xa1], [0x0a, 0x0d, 0x0d, 0x0a], [1, 2, 3, 4]];

  it('random bytes behind every magic', () => {
    const rand = rng(1);
    for (let i = 0; i < 3000; i++) {
      const b = new Uint8Array(Math.floor(rand() * 300));
      for (let j = 0; j < b.length; j++) b[j] = Math.floor(rand() * 256);
      const magic = magics[i % magics.length]!;
      b.set(magic.slice(0, b.length));
      // Plausible pcapng framing now and then, so the reader gets past the first block.
      if (magic[0] === 0x0a && b.length >= 28 && rand() < 0.5) b.set([28, 0, 0, 0, 0x4d, 0x3c, 0x2b, 0x1a, 1, 0], 4);
      sane(b, readCapture(b));
    }
  });

  it('mutated valid captures', () => {
    const rand = rng(2);
    const seeds = [smallPcap(true).file, smallPcap(false).file, smallPcapng(true).file, smallPcapng(false).file];
    const interesting = [0, 1, 7, 12, 16, 28, 0x7fffffff, 0xffffffff, 0x80000000, 0x0a0d0d0a, 0x1a2b3c4d];
    for (let i = 0; i < 4000; i++) {
      const b = seeds[i % seeds.length]!.slice();
      const edits = 1 + Math.floor(rand() * 4);
      for (let e = 0; e < edits; e++) {
        const at = Math.floor(rand() * b.length);
        if (rand() < 0.5) {
          b[at] = Math.floor(rand() * 256);
        } else if (at + 4 <= b.length) {
          const v = interesting[Math.floor(rand() * interesting.length)]!;
          new DataView(b.buffer).setUint32(at & ~3, v, rand() < 0.5);
        }
      }
      const cut = rand() < 0.3 ? b.subarray(0, Math.floor(rand() * b.length)) : b;
      sane(cut, readCapture(cut));
    }
  });
});
