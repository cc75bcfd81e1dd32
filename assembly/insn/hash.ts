// hash (kernel: net/netfilter/nft_hash.c, include/linux/jhash.h): Bob
// Jenkins' lookup3 jhash of register bytes, scaled to the modulus; symhash
// of the flow. `[ hash reg 1 = jhash(reg 2, 4, 0xdead) % mod 2 ]`.

import { HashType, HASH_DREG, HASH_LEN, HASH_MODULUS, HASH_OFFSET, HASH_SEED, HASH_SREG, HASH_TYPE, LoadError, Op } from '../abi';
import { loadFail, regs } from '../mem';
import { pData, pEnd, pL4, pNh, pProto, pThoff, pTprot } from '../packet';

const JHASH_INITVAL: u32 = 0xdeadbeef;

@inline function rol(x: u32, n: u32): u32 {
  return rotl<u32>(x, n);
}

/** jhash(key, length, initval) of include/linux/jhash.h, little-endian words. */
export function jhash(k: usize, length: u32, initval: u32): u32 {
  let a: u32 = JHASH_INITVAL + length + initval;
  let b = a;
  let c = a;
  while (length > 12) {
    a += load<u32>(k);
    b += load<u32>(k, 4);
    c += load<u32>(k, 8);
    a -= c; a ^= rol(c, 4); c += b;
    b -= a; b ^= rol(a, 6); a += c;
    c -= b; c ^= rol(b, 8); b += a;
    a -= c; a ^= rol(c, 16); c += b;
    b -= a; b ^= rol(a, 19); a += c;
    c -= b; c ^= rol(b, 4); b += a;
    length -= 12;
    k += 12;
  }
  if (length == 0) return c;
  // The tail, byte by byte as the kernel's switch falls through.
  if (length >= 12) c += <u32>load<u8>(k, 11) << 24;
  if (length >= 11) c += <u32>load<u8>(k, 10) << 16;
  if (length >= 10) c += <u32>load<u8>(k, 9) << 8;
  if (length >= 9) c += load<u8>(k, 8);
  if (length >= 8) b += <u32>load<u8>(k, 7) << 24;
  if (length >= 7) b += <u32>load<u8>(k, 6) << 16;
  if (length >= 6) b += <u32>load<u8>(k, 5) << 8;
  if (length >= 5) b += load<u8>(k, 4);
  if (length >= 4) a += <u32>load<u8>(k, 3) << 24;
  if (length >= 3) a += <u32>load<u8>(k, 2) << 16;
  if (length >= 2) a += <u32>load<u8>(k, 1) << 8;
  a += load<u8>(k);
  return jfinal(a, b, c);
}

/** __jhash_final. */
@inline function jfinal(a: u32, b: u32, c: u32): u32 {
  c ^= b; c -= rol(b, 14);
  a ^= c; a -= rol(c, 11);
  b ^= a; b -= rol(a, 25);
  c ^= b; c -= rol(b, 16);
  a ^= c; a -= rol(c, 4);
  b ^= a; b -= rol(a, 14);
  c ^= b; c -= rol(b, 24);
  return c;
}

/** jhash_3words. */
export function jhash3(a: u32, b: u32, c: u32, initval: u32): u32 {
  const iv = initval + JHASH_INITVAL + (3 << 2);
  return jfinal(a + iv, b + iv, c + iv);
}

/** Load-time checks (nft_jhash_init): modulus ≥ 1, offset + modulus fits. */
export function checkHash(insn: usize): i32 {
  const mod = load<u32>(insn, HASH_MODULUS);
  const type = <i32>load<u8>(insn, HASH_TYPE);
  if (type > HashType.Sym) return loadFail(LoadError.BadOperand, Op.Hash, HASH_TYPE, type);
  if (mod < 1 || <u64>load<u32>(insn, HASH_OFFSET) + mod - 1 > 0xffffffff) return loadFail(LoadError.BadOperand, Op.Hash, HASH_MODULUS, mod);
  if (type == HashType.Jenkins && load<u8>(insn, HASH_LEN) == 0) return loadFail(LoadError.BadOperand, Op.Hash, HASH_LEN, 0);
  return 0;
}

/** A symmetric flow hash: addresses and ports sorted (the kernel's is seeded per boot). */
function symHash(): u32 {
  const nh = pData + pNh;
  let a: u32 = 0, b: u32 = 0, p: u32 = 0;
  if (pProto == 0x0800 && nh + 20 <= pEnd) {
    a = load<u32>(nh, 12);
    b = load<u32>(nh, 16);
  } else if (pProto == 0x86dd && nh + 40 <= pEnd) {
    a = jhash(nh + 8, 16, 0);
    b = jhash(nh + 24, 16, 0);
  }
  if (pL4 && (pTprot == 6 || pTprot == 17) && pData + pThoff + 4 <= pEnd) {
    const sp = <u32>load<u16>(pData + pThoff);
    const dp = <u32>load<u16>(pData + pThoff, 2);
    p = sp < dp ? (sp << 16) | dp : (dp << 16) | sp;
  }
  if (a > b) { const t = a; a = b; b = t; }
  return jhash3(a, b, p ^ pTprot, 0);
}

// Mirrors nft_jhash_eval / nft_symhash_eval: reciprocal_scale(hash, modulus) + offset.
export function evalHash(insn: usize): void {
  const h = <i32>load<u8>(insn, HASH_TYPE) == HashType.Jenkins ? jhash(regs + (<usize>load<u8>(insn, HASH_SREG) << 2), load<u8>(insn, HASH_LEN), load<u32>(insn, HASH_SEED)) : symHash();
  const v = <u32>((<u64>h * load<u32>(insn, HASH_MODULUS)) >> 32) + load<u32>(insn, HASH_OFFSET);
  store<u32>(regs + (<usize>load<u8>(insn, HASH_DREG) << 2), v);
}
