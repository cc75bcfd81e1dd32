// ct load and set (kernel: net/netfilter/nft_ct.c): the packet's conntrack
// entry (ct/track.ts). `ct state` always loads (invalid when no entry,
// untracked after notrack); every other key breaks the rule without an
// entry. `[ ct load state => reg 1 ]`, `[ ct set mark with reg 1 ]`.

import {
  CtDir, CtInfo, CtKey, CtStateBit, CtStatus, CTE_L3, CTE_MARK, CTE_ORIG, CTE_PROTO, CTE_STATUS, CTE_ZONE, CTX_BYTES0, CTX_LABELS, CTX_PKTS0, CTX_SIZE,
  CT_DIR, CT_DREG, CT_KEY, CT_SET_KEY, CT_SET_SREG, CT_TUPLE_SIZE, LoadError, NONE8, Op, TUP_DPORT, TUP_DST, TUP_SPORT, TUP_SRC,
} from '../abi';
import { loadFail, regs, setBreak } from '../mem';
import { eventMark, eventUpdate, remainingMs } from '../ct/entry';
import { ctExt, entryIndex } from '../ct/table';
import { pCt, pCtinfo, setCtZone } from '../ct/track';

/** Load-time checks (nft_ct_get_init): a known key; a direction only where the kernel takes one. */
export function checkCt(insn: usize): i32 {
  const k = <u32>load<u8>(insn, CT_KEY);
  if (k > <u32>CtKey.Id || k == CtKey.Eventmask) return loadFail(LoadError.BadOperand, Op.Ct, CT_KEY, k);
  const dir = <u32>load<u8>(insn, CT_DIR);
  if (dir != NONE8 && dir > <u32>CtDir.Reply) return loadFail(LoadError.BadOperand, Op.Ct, CT_DIR, dir);
  return 0;
}

/** Load-time checks (nft_ct_set_init): the keys the kernel sets. */
export function checkCtSet(insn: usize): i32 {
  const k = <u32>load<u8>(insn, CT_SET_KEY);
  if (k == CtKey.Mark || k == CtKey.Labels || k == CtKey.Zone || k == CtKey.Eventmask || k == CtKey.Secmark) return 0;
  return loadFail(LoadError.UnsupportedKey, Op.CtSet, k);
}

/** Sum of a u64 counter over the direction(s) asked (NONE8 = both). */
function counter(x: usize, off: usize, dir: u32): u64 {
  if (dir != NONE8) return load<u64>(x + (<usize>dir << 4) + off);
  return load<u64>(x + off) + load<u64>(x + 16 + off);
}

// Mirrors nft_ct_get_eval.
export function evalCt(insn: usize): void {
  const d = regs + (<usize>load<u8>(insn, CT_DREG) << 2);
  const key = <u32>load<u8>(insn, CT_KEY);
  const ct = pCt;
  const info = pCtinfo;
  if (key == CtKey.State) {
    store<u32>(d, ct ? <u32>1 << ((info % 3) + 1) : info == CtInfo.Untracked ? <u32>CtStateBit.Untracked : <u32>CtStateBit.Invalid);
    return;
  }
  if (!ct) {
    setBreak();
    return;
  }
  const dirOpt = <u32>load<u8>(insn, CT_DIR);
  switch (key) {
    case CtKey.Direction: store<u32>(d, info >= <u32>CtInfo.EstablishedReply ? 1 : 0); return;
    case CtKey.Status: store<u32>(d, load<u16>(ct, CTE_STATUS)); return;
    case CtKey.Mark: store<u32>(d, load<u32>(ct, CTE_MARK)); return;
    case CtKey.Secmark: store<u32>(d, 0); return;
    case CtKey.Expiration: store<u32>(d, remainingMs(ct)); return;
    case CtKey.Helper: {
      // The master's helper (ct->master): an EXPECTED entry's, and the VM's one expecting helper is ftp.
      if (!(load<u16>(ct, CTE_STATUS) & CtStatus.Expected)) {
        setBreak();
        return;
      }
      memory.fill(d, 0, 16);
      store<u32>(d, 0x707466);
      return;
    }
    case CtKey.L3protocol: store<u32>(d, load<u8>(ct, CTE_L3)); return;
    case CtKey.Protocol: store<u32>(d, load<u8>(ct, CTE_PROTO)); return;
    case CtKey.Labels: {
      if (ctExt) memory.copy(d, ctExt + <usize>entryIndex(ct) * CTX_SIZE + CTX_LABELS, 16);
      else memory.fill(d, 0, 16);
      return;
    }
    case CtKey.Pkts: case CtKey.Bytes: case CtKey.Avgpkt: {
      let v: u64 = 0;
      if (ctExt) {
        const x = ctExt + <usize>entryIndex(ct) * CTX_SIZE;
        const pk = counter(x, CTX_PKTS0, dirOpt);
        const by = counter(x, CTX_BYTES0, dirOpt);
        v = key == CtKey.Pkts ? pk : key == CtKey.Bytes ? by : pk ? by / pk : 0;
      }
      store<u64>(d, v);
      return;
    }
    case CtKey.Zone: store<u32>(d, load<u16>(ct, CTE_ZONE)); return;
    case CtKey.Id: store<u32>(d, bswap<u32>(entryIndex(ct) + 1)); return;
  }
  // Tuple keys: the direction's tuple (the packet's own direction when none is given).
  const dir = dirOpt != NONE8 ? dirOpt : info >= <u32>CtInfo.EstablishedReply ? 1 : 0;
  const t = ct + CTE_ORIG + <usize>dir * CT_TUPLE_SIZE;
  const v4 = load<u8>(ct, CTE_L3) == 2;
  switch (key) {
    case CtKey.Src: memory.copy(d, t + TUP_SRC, v4 ? 4 : 16); return;
    case CtKey.Dst: memory.copy(d, t + TUP_DST, v4 ? 4 : 16); return;
    case CtKey.ProtoSrc: store<u32>(d, load<u16>(t, TUP_SPORT)); return;
    case CtKey.ProtoDst: store<u32>(d, load<u16>(t, TUP_DPORT)); return;
    case CtKey.SrcIp: case CtKey.DstIp:
      if (!v4) break;
      store<u32>(d, load<u32>(t + (key == CtKey.SrcIp ? TUP_SRC : TUP_DST)));
      return;
    case CtKey.SrcIp6: case CtKey.DstIp6:
      if (v4) break;
      memory.copy(d, t + (key == CtKey.SrcIp6 ? TUP_SRC : TUP_DST), 16);
      return;
  }
  setBreak();
}

// Mirrors nft_ct_set_eval: mark and labels change the entry (an UPDATE event); zone applies before tracking.
export function evalCtSet(insn: usize): void {
  const s = regs + (<usize>load<u8>(insn, CT_SET_SREG) << 2);
  const key = <u32>load<u8>(insn, CT_SET_KEY);
  const ct = pCt;
  if (key == CtKey.Zone) {
    if (!ct) setCtZone(load<u16>(s));
    return;
  }
  if (!ct) return;
  if (key == CtKey.Mark) {
    const v = load<u32>(s);
    if (load<u32>(ct, CTE_MARK) != v) {
      store<u32>(ct, v, CTE_MARK);
      eventMark();
    }
  } else if (key == CtKey.Labels && ctExt) {
    const l = ctExt + <usize>entryIndex(ct) * CTX_SIZE + CTX_LABELS;
    if (load<u64>(l) != load<u64>(s) || load<u64>(l, 8) != load<u64>(s, 8)) {
      memory.copy(l, s, 16);
      eventUpdate(false);
    }
  }
}
