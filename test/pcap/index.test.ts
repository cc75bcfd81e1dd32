// The format-neutral entry points: pcap vs pcapng told apart by the magic,
// inputs that are neither, and the iterator form for large files.

import { describe, expect, it } from 'vitest';
import { CaptureReader, openCapture, readCapture } from '../../src/pcap/index.js';
import { PcapngWriter, ether, ipv4, optText, pcapFile } from './writer.js';

const frame = ether([2, 0, 0, 0, 0, 2], [2, 0, 0, 0, 0, 1], 0x0800, ipv4([10, 0, 0, 1], [10, 0, 0, 2]));

describe('readCapture / openCapture', () => {
  it('ELF header instead of a capture: unknown magic 7f454c46', () => {
    const c = readCapture(Uint8Array.of(0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0));
    expect(c).toEqual({
      format: null, packets: [], interfaces: [], sections: [],
      error: { offset: 0, message: 'unknown capture file magic 7f454c46 at offset 0: not pcap or pcapng' },
    });
  });

  it('pcap and pcapng are both recognised, in both byte orders', () => {
    for (const littleEndian of [true, false]) {
      expect(readCapture(pcapFile({ linkType: 1, littleEndian }, [])).format).toBe('pcap');
      expect(readCapture(pcapFile({ linkType: 1, littleEndian, nano: true }, [])).format).toBe('pcap');
      expect(readCapture(new PcapngWriter().section(littleEndian).done()).format).toBe('pcapng');
    }
  });

  it('iterator: packets one by one, interfaces growing as IDBs are read, error after the last good packet', () => {
    const file = new PcapngWriter().section()
      .interface(1, 0, [optText(2, 'eth0')]).epb(0, 1n, frame)
      .interface(101, 0, [optText(2, 'tun0')]).epb(1, 2n, frame.subarray(14))
      .raw(Uint8Array.of(1, 2, 3)).done();
    const reader = openCapture(file);
    expect(reader).toBeInstanceOf(CaptureReader);
    expect(reader.format).toBe('pcapng');
    const first = reader.next();
    expect(first.done).toBe(false);
    expect(reader.interfaces.map((i) => i.name)).toEqual(['eth0']);
    const rest = [...reader];
    expect(rest.map((p) => p.protocol)).toEqual([0x0800]);
    expect(reader.interfaces.map((i) => i.name)).toEqual(['eth0', 'tun0']);
    expect(reader.error!.message).toBe(`truncated pcapng block header at offset ${file.length - 3}: need 12 bytes, have 3`);
    expect(reader.next()).toEqual({ done: true, value: undefined });
  });
});
