// nft 1.0.6's register allocation (nftables: src/netlink_linearize.c):
// registers are counted in 32-bit units from 1; a plain value reserves 4
// units (one legacy 128-bit register), a concatenation ceil(bits/32).
// Values are padded to whole words: `ip saddr . tcp dport` fills units 1-2 (reg 1, reg 9).

/** Allocates registers like nft's get_register/release_register. */
export class RegAlloc {
  private low = 1;
  /** Reserves `units` 32-bit units and returns the first one. */
  get(units = 4): number {
    const r = this.low;
    this.low += units;
    if (this.low > 17) this.low = 17; // the kernel rejects anything past reg 23 anyway
    return r;
  }
  /** Releases the most recent reservation of `units`. */
  release(units = 4): void {
    this.low -= units;
    if (this.low < 1) this.low = 1;
  }
}

/** The netlink register number of internal unit `u` (1 → reg 1, 2 → reg 9, 5 → reg 2). */
export function netlinkReg(u: number): number {
  return (u - 1) % 4 === 0 ? 1 + (u - 1) / 4 : 8 + (u - 1);
}

/** Pads a component to whole 32-bit words as registers hold it. */
export function pad4(b: Uint8Array): Uint8Array {
  const n = Math.ceil(b.length / 4) * 4;
  if (n === b.length) return b;
  const o = new Uint8Array(n);
  o.set(b);
  return o;
}

/** The components' bytes one after the other (a concatenation's register contents). */
export function concatBytes(parts: Uint8Array[]): Uint8Array {
  const n = parts.reduce((a, b) => a + b.length, 0);
  const o = new Uint8Array(n);
  let i = 0;
  for (const p of parts) {
    o.set(p, i);
    i += p.length;
  }
  return o;
}
