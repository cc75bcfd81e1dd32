// meta load and set (kernel: net/netfilter/nft_meta.c): packet metadata
// from the skb, the hook's devices (host model) and the packet time.
// `[ meta load l4proto => reg 1 ]`, `[ meta set mark with reg 1 ]`.

import { IFACE_GROUP, IFACE_KIND, IFACE_MAX, IFACE_NAME, IFACE_PRESENT, IFACE_SIZE, IFACE_TYPE, LoadError, MetaKey, META_DREG, META_KEY, META_SET_KEY, META_SET_SREG, Op, PktFlags, PKT_FLAGS, PKT_SKGID, PKT_SKUID } from '../abi';
import { host, loadFail, prandom, regs, setBreak } from '../mem';
import { pDesc, pIif, pktLen, pL4, pMark, pNfproto, pNftrace, pOif, pPkttype, pPriority, pProto, pSecmark, pTprot, pTstamp } from '../packet';
import { evalCmpFast } from './cmp';
import { setMark, setNftrace, setPkttype, setPriority, setSecmark } from '../packet';

/** The host model's entry for `ifindex`, 0 if there is no such device. */
@inline export function ifaceOf(ifindex: u32): usize {
  if (ifindex == 0 || ifindex >= <u32>IFACE_MAX) return 0;
  const e = host + <usize>ifindex * IFACE_SIZE;
  return load<u16>(e, IFACE_PRESENT) ? e : 0;
}

/** Load-time checks: keys this VM has no model for fail loudly. */
export function checkMeta(insn: usize): i32 {
  const key = <i32>load<u8>(insn, META_KEY);
  if (key > MetaKey.BriBroute) return loadFail(LoadError.BadOperand, Op.Meta, META_KEY, key);
  switch (key) {
    case MetaKey.BriIifname: case MetaKey.BriOifname: case MetaKey.BriIifpvid: case MetaKey.BriIifvproto:
    case MetaKey.BriBroute: case MetaKey.Rtclassid:
      return loadFail(LoadError.UnsupportedKey, Op.Meta, key);
  }
  return 0;
}

/** Load-time checks of meta set: the keys the kernel can set. */
export function checkMetaSet(insn: usize): i32 {
  const key = <i32>load<u8>(insn, META_SET_KEY);
  if (key == MetaKey.Mark || key == MetaKey.Priority || key == MetaKey.Nftrace || key == MetaKey.Pkttype || key == MetaKey.Secmark) return 0;
  return loadFail(LoadError.UnsupportedKey, Op.MetaSet, key);
}

@inline function store8(d: usize, v: u32): void {
  store<u32>(d, v & 0xff);
}

@inline function store16(d: usize, v: u32): void {
  store<u32>(d, v & 0xffff);
}

/** Copies a 16-byte name from the host model (zeros without a device). */
@inline function storeName(d: usize, e: usize, at: usize): void {
  if (e) {
    store<u64>(d, load<u64>(e + at));
    store<u64>(d, load<u64>(e + at, 8), 8);
  } else {
    store<u64>(d, 0);
    store<u64>(d, 0, 8);
  }
}

/** Keys MetaCmpFast computes inline: a value of at most 4 bytes, BREAK only for l4proto without L4 information. */
export function metaFusable(key: i32): bool {
  return key == MetaKey.L4proto || key == MetaKey.Nfproto || key == MetaKey.Protocol || key == MetaKey.Mark || key == MetaKey.Pkttype ||
    key == MetaKey.Len || key == MetaKey.Iif || key == MetaKey.Oif;
}

/** Bytes of the value a metaFusable key's load writes (the register word has zeros above them). */
export function metaFusableWidth(key: i32): u32 {
  if (key == MetaKey.L4proto || key == MetaKey.Nfproto || key == MetaKey.Pkttype) return 1;
  return key == MetaKey.Protocol ? 2 : 4;
}

// The register word nft_meta_get_eval writes for a metaFusable key; -1 = NFT_BREAK (l4proto without L4 information: `l4` < 0, as doChain keeps it).
@inline export function metaFusableWord(key: i32, l4: i32): i64 {
  switch (key) {
    case MetaKey.L4proto: return <i64>l4;
    case MetaKey.Nfproto: return <i64>(pNfproto & 0xff);
    case MetaKey.Protocol: return <i64>bswap<u16>(<u16>pProto);
    case MetaKey.Mark: return <i64>pMark;
    case MetaKey.Pkttype: return <i64>(pPkttype & 0xff);
    case MetaKey.Len: return <i64>pktLen();
    case MetaKey.Iif: return <i64>(ifaceOf(pIif) ? pIif : 0);
    default: return <i64>(ifaceOf(pOif) ? pOif : 0);
  }
}

// nft_meta_get_eval of a metaFusable key, then CmpFast on its register (the next record); false = NFT_BREAK.
@inline export function evalMetaCmpFast(insn: usize): bool {
  let v: u32;
  switch (<i32>load<u8>(insn, META_KEY)) {
    case MetaKey.L4proto:
      if (!pL4) return false;
      v = <u32>pTprot & 0xff;
      break;
    case MetaKey.Nfproto: v = <u32>pNfproto & 0xff; break;
    case MetaKey.Protocol: v = <u32>bswap<u16>(<u16>pProto); break;
    case MetaKey.Mark: v = pMark; break;
    case MetaKey.Pkttype: v = pPkttype & 0xff; break;
    case MetaKey.Len: v = pktLen(); break;
    case MetaKey.Iif: v = ifaceOf(pIif) ? pIif : 0; break;
    default: v = ifaceOf(pOif) ? pOif : 0;
  }
  store<u32>(regs + (<usize>load<u8>(insn, META_DREG) << 2), v);
  return evalCmpFast(insn + META_RECORD);
}

// MetaCmpFast of l4proto; `l4` is the packet's transport protocol, -1 without L4 information (a doChain local).
@inline export function evalMetaL4protoCmpFast(insn: usize, l4: i32): bool {
  if (l4 < 0) return false;
  store<u32>(regs + (<usize>load<u8>(insn, META_DREG) << 2), <u32>l4);
  return evalCmpFast(insn + META_RECORD);
}

/** Bytes of a meta load record. */
const META_RECORD: usize = 8;

// Mirrors nft_meta_get_eval.
export function evalMeta(insn: usize): void {
  const d = regs + (<usize>load<u8>(insn, META_DREG) << 2);
  switch (<i32>load<u8>(insn, META_KEY)) {
    case MetaKey.Len: store<u32>(d, pktLen()); break;
    case MetaKey.Protocol: store16(d, bswap<u16>(<u16>pProto)); break;
    case MetaKey.Priority: store<u32>(d, pPriority); break;
    case MetaKey.Mark: store<u32>(d, pMark); break;
    case MetaKey.Iif: store<u32>(d, ifaceOf(pIif) ? pIif : 0); break;
    case MetaKey.Oif: store<u32>(d, ifaceOf(pOif) ? pOif : 0); break;
    case MetaKey.Iifname: storeName(d, ifaceOf(pIif), IFACE_NAME); break;
    case MetaKey.Oifname: storeName(d, ifaceOf(pOif), IFACE_NAME); break;
    case MetaKey.Iiftype: {
      const e = ifaceOf(pIif);
      if (!e) { setBreak(); return; }
      store16(d, load<u16>(e, IFACE_TYPE));
      break;
    }
    case MetaKey.Oiftype: {
      const e = ifaceOf(pOif);
      if (!e) { setBreak(); return; }
      store16(d, load<u16>(e, IFACE_TYPE));
      break;
    }
    case MetaKey.Skuid: case MetaKey.Skgid: case MetaKey.Cgroup: {
      if (!(load<u8>(pDesc, PKT_FLAGS) & PktFlags.Socket)) { setBreak(); return; }
      const key = <i32>load<u8>(insn, META_KEY);
      store<u32>(d, key == MetaKey.Skuid ? load<u32>(pDesc, PKT_SKUID) : key == MetaKey.Skgid ? load<u32>(pDesc, PKT_SKGID) : 0);
      break;
    }
    case MetaKey.Nftrace: store8(d, pNftrace ? 1 : 0); break;
    case MetaKey.Secmark: store<u32>(d, pSecmark); break;
    case MetaKey.Nfproto: store8(d, pNfproto); break;
    case MetaKey.L4proto:
      if (!pL4) { setBreak(); return; }
      store8(d, pTprot);
      break;
    case MetaKey.Pkttype: store8(d, pPkttype); break;
    case MetaKey.Cpu: store<u32>(d, 0); break;
    case MetaKey.Iifgroup: {
      const e = ifaceOf(pIif);
      if (!e) { setBreak(); return; }
      store<u32>(d, load<u32>(e, IFACE_GROUP));
      break;
    }
    case MetaKey.Oifgroup: {
      const e = ifaceOf(pOif);
      if (!e) { setBreak(); return; }
      store<u32>(d, load<u32>(e, IFACE_GROUP));
      break;
    }
    case MetaKey.Prandom: store<u32>(d, prandom()); break;
    case MetaKey.Secpath: store8(d, 0); break;
    case MetaKey.Iifkind: case MetaKey.Oifkind: {
      const e = ifaceOf(load<u8>(insn, META_KEY) == MetaKey.Iifkind ? pIif : pOif);
      // Physical devices have no rtnl_link_ops: BREAK.
      if (!e || load<u8>(e, IFACE_KIND) == 0) { setBreak(); return; }
      memory.copy(d, e + IFACE_KIND, 16);
      break;
    }
    case MetaKey.TimeNs: store<u64>(d, pTstamp); break;
    case MetaKey.TimeDay: store8(d, <u32>(((pTstamp / 1000000000) / 86400 + 4) % 7)); break;
    case MetaKey.TimeHour: store<u32>(d, <u32>((pTstamp / 1000000000) % 86400)); break;
    case MetaKey.Sdif: store<u32>(d, 0); break;
    case MetaKey.Sdifname: memory.fill(d, 0, 16); break;
    default: setBreak();
  }
}

// Mirrors nft_meta_set_eval.
export function evalMetaSet(insn: usize): void {
  const s = regs + (<usize>load<u8>(insn, META_SET_SREG) << 2);
  switch (<i32>load<u8>(insn, META_SET_KEY)) {
    case MetaKey.Mark: setMark(load<u32>(s)); break;
    case MetaKey.Priority: setPriority(load<u32>(s)); break;
    case MetaKey.Secmark: setSecmark(load<u32>(s)); break;
    case MetaKey.Nftrace: setNftrace(load<u8>(s) != 0); break;
    case MetaKey.Pkttype: {
      const v = <u32>load<u8>(s);
      if (v != pPkttype && v <= 3 && pPkttype <= 3) setPkttype(v);
      break;
    }
  }
}
