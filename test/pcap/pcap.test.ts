// Classic pcap files built by writer.ts: both byte orders, both timestamp
// resolutions, snaplen-cut packets, FCS bits, zero-copy views, and the
// errors of a bad header or record.

import { describe, expect, it } from 'vitest';
import { Direction, LinkType, readCapture } from '../../src/pcap/index.js';
import { ether, ipv4, pcapFile } from './writer.js';

const MAC_A = [2, 0, 0, 0, 0, 1];
const MAC_B = [2, 0, 0, 0, 0, 2];
const frame = ether(MAC_B, MAC_A, 0x0800, ipv4([10, 200, 0, 1], [10, 200, 0, 2]));

describe('pcap', () => {
  for (const littleEndian of [true, false]) {
    for (const nano of [false, true]) {
      const name = `${littleEndian ? 'little' : 'big'}-endian, ${nano ? 'nanosecond' : 'microsecond'} timestamps`;
      it(name, () => {
        const frac = nano ? 123456789 : 123456;
        const bytes = pcapFile({ linkType: LinkType.Ethernet, littleEndian, nano, snaplen: 65535 }, [
          { sec: 1700000000, frac, data: frame },
          { sec: 4294967295, frac: 0, data: frame.subarray(0, 20), originalLength: frame.length },
        ]);
        const c = readCapture(bytes);
        expect(c.error).toBeNull();
        expect(c.format).toBe('pcap');
        expect(c.sections).toEqual([
          { offset: 0, littleEndian, major: 2, minor: 4, hardware: null, os: null, application: null },
        ]);
        expect(c.interfaces).toHaveLength(1);
        expect(c.interfaces[0]).toMatchObject({
          linkType: 1, snaplen: 65535, unitsPerSecond: nano ? 1_000_000_000n : 1_000_000n, fcsLength: null,
        });
        expect(c.packets).toHaveLength(2);
        const [a, b] = c.packets;
        expect(a!.timestamp).toBe(nano ? 1700000000_123456789n : 1700000000_123456000n);
        expect(a!.offset).toBe(24);
        expect(a!.interface).toBe(0);
        expect(a!.linkType).toBe(1);
        expect(Array.from(a!.data)).toEqual(Array.from(frame));
        expect(a!.originalLength).toBe(frame.length);
        expect(a!.direction).toBe(Direction.Unknown);
        expect(a!.networkOffset).toBe(14);
        expect(a!.protocol).toBe(0x0800);
        expect(b!.timestamp).toBe(4294967295_000000000n);
        expect(b!.offset).toBe(24 + 16 + frame.length);
        expect(b!.data.length).toBe(20);
        expect(b!.originalLength).toBe(frame.length);
      });
    }
  }

  it('packet data is a view into the input, also when the input is a view itself', () => {
    const file = pcapFile({ linkType: LinkType.Ethernet }, [{ sec: 1, frac: 2, data: frame }]);
    const big = new Uint8Array(file.length + 100);
    big.set(file, 37);
    const input = big.subarray(37, 37 + file.length);
    const c = readCapture(input);
    expect(c.error).toBeNull();
    const p = c.packets[0]!;
    expect(p.data.buffer).toBe(big.buffer);
    expect(p.data.byteOffset).toBe(37 + 24 + 16);
    expect(p.timestamp).toBe(1_000_002_000n);
  });

  it('9000-byte jumbo frame cut to a snaplen of 4096', () => {
    const jumbo = ether(MAC_B, MAC_A, 0x0800, ipv4([10, 0, 0, 1], [10, 0, 0, 2], 9000 - 34));
    const c = readCapture(pcapFile({ linkType: 1, snaplen: 4096 }, [{ sec: 1, frac: 0, data: jumbo.subarray(0, 4096), originalLength: 9000 }]));
    expect(c.error).toBeNull();
    expect(c.packets[0]).toMatchObject({ originalLength: 9000, networkOffset: 14 });
    expect(c.packets[0]!.data.length).toBe(4096);
  });

  it('link-type word with FCS bits: FCS length 4, link type Ethernet', () => {
    const bytes = pcapFile({ linkType: LinkType.Ethernet, linkTypeExt: (2 << 28) | 0x04000000 }, []);
    const c = readCapture(bytes);
    expect(c.error).toBeNull();
    expect(c.interfaces[0]).toMatchObject({ linkType: 1, fcsLength: 4 });
  });

  it('header only: no packets, no error', () => {
    const c = readCapture(pcapFile({ linkType: LinkType.Raw }, []));
    expect(c).toMatchObject({ format: 'pcap', packets: [], error: null });
  });

  it('version 1.0 is refused', () => {
    const c = readCapture(pcapFile({ linkType: 1, major: 1, minor: 0 }, []));
    expect(c.error).toEqual({ offset: 4, message: 'unsupported pcap version 1.0 at offset 4' });
  });

  it('truncated file header', () => {
    const c = readCapture(pcapFile({ linkType: 1 }, []).subarray(0, 10));
    expect(c.error).toEqual({ offset: 0, message: 'truncated pcap file header at offset 0: need 24 bytes, have 10' });
  });

  it('record cut inside its data keeps the packets before it', () => {
    const bytes = pcapFile({ linkType: 1 }, [{ sec: 1, frac: 0, data: frame }, { sec: 2, frac: 0, data: frame }]);
    const c = readCapture(bytes.subarray(0, bytes.length - 10));
    expect(c.packets).toHaveLength(1);
    const at = 24 + 16 + frame.length;
    expect(c.error).toEqual({
      offset: at,
      message: `truncated packet record at offset ${at}: need ${16 + frame.length} bytes, have ${16 + frame.length - 10}`,
    });
  });

  it('record cut inside its header', () => {
    const bytes = pcapFile({ linkType: 1 }, [{ sec: 1, frac: 0, data: frame }, { sec: 2, frac: 0, data: frame }]);
    const at = 24 + 16 + frame.length;
    const c = readCapture(bytes.subarray(0, at + 5));
    expect(c.packets).toHaveLength(1);
    expect(c.error!.message).toBe(`truncated packet record header at offset ${at}: need 16 bytes, have 5`);
  });

  it('captured length beyond snaplen and 262144 is corrupt', () => {
    const bytes = pcapFile({ linkType: 1, snaplen: 1500 }, [
      { sec: 1, frac: 0, data: frame },
      { sec: 2, frac: 0, data: frame, caplen: 0x7fffffff },
    ]);
    const c = readCapture(bytes);
    expect(c.packets).toHaveLength(1);
    const at = 24 + 16 + frame.length;
    expect(c.error!.message).toBe(`bad packet record at offset ${at}: captured length 2147483647 exceeds snaplen 262144`);
  });
});
