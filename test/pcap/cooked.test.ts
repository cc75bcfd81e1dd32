// Linux cooked headers (SLL, SLL2) field by field: packet types, address
// lengths (clamped to the 8-byte field), ifindex, and the direction they imply.

import { describe, expect, it } from 'vitest';
import { Direction, PacketType, decodeSll, decodeSll2, packetTypeDirection, packetTypeName } from '../../src/pcap/index.js';
import { sll, sll2 } from './writer.js';

describe('cooked headers', () => {
  it('SLL: broadcast ARP from a 6-byte address', () => {
    const h = decodeSll(sll(PacketType.Broadcast, 1, [1, 2, 3, 4, 5, 6], 0x0806, new Uint8Array(28)))!;
    expect(h).toMatchObject({ packetType: 1, hatype: 1, protocol: 0x0806, ifindex: null, headerLength: 16 });
    expect(Array.from(h.address)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('SLL: halen 10 is clamped to the 8-byte address field', () => {
    const b = sll(0, 1, [1, 2, 3, 4, 5, 6, 7, 8], 0x0800, new Uint8Array(0));
    b[5] = 10;
    expect(decodeSll(b)!.address.length).toBe(8);
  });

  it('SLL2: loopback (hatype 772) outgoing on ifindex 0x01020304', () => {
    const h = decodeSll2(sll2(0x0800, 0x01020304, 772, PacketType.Outgoing, [0, 0, 0, 0, 0, 0], new Uint8Array(0)))!;
    expect(h).toMatchObject({ packetType: 4, hatype: 772, protocol: 0x0800, ifindex: 0x01020304, headerLength: 20 });
  });

  it('SLL2: ifindex with the top bit set stays unsigned', () => {
    expect(decodeSll2(sll2(0x0800, 0xfffffffe, 1, 0, [], new Uint8Array(0)))!.ifindex).toBe(0xfffffffe);
  });

  it('headers shorter than 16 / 20 bytes decode to null', () => {
    expect(decodeSll(new Uint8Array(15))).toBeNull();
    expect(decodeSll2(new Uint8Array(19))).toBeNull();
  });

  it('packet types: names and directions', () => {
    const all = [0, 1, 2, 3, 4, 5, 6, 7, 8];
    expect(all.map(packetTypeName)).toEqual(
      ['host', 'broadcast', 'multicast', 'otherhost', 'outgoing', 'loopback', 'user', 'kernel', '8']);
    const I = Direction.Inbound, O = Direction.Outbound, U = Direction.Unknown;
    expect(all.map(packetTypeDirection)).toEqual([I, I, I, I, O, U, U, U, U]);
  });
});
