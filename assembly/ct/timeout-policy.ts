// ct timeout objects (kernel: net/netfilter/nft_ct.c nft_ct_timeout_obj_*,
// nf_conntrack_timeout.c): per-state timeouts for one L4 protocol that
// `ct timeout set "name"` attaches to a new entry; its trackers then read them
// (entry.ts timeoutMs) instead of the sysctls.
// `ct timeout udp-short { protocol udp; policy = { unreplied : 7, replied : 45 } }`.

import {
  CtStatus, CtTimeout, CTE_PROTO, CTE_USED, CTE_USED_POLICY_MAX, CTE_USED_POLICY_SHIFT, CT_TIMEOUT_OBJ_L4PROTO, CT_TIMEOUT_OBJ_LEN,
  CT_TIMEOUT_OBJ_TIMEOUTS, LoadError, ObjectType, Op,
} from '../abi';
import { OB_SIZE, OB_STATE, OB_TYPE, RS_NOBJECTS } from '../layout';
import { loadFail, rtObjects, rtRuleset } from '../mem';
import { policyActive, refresh, setPolicy, status } from './entry';
import { entriesUsed, entryAt } from './table';

/** Number of timeout states of a policy for `l4` (tcp: SYN_SENT..UNACK, udp: unreplied, replied), 0 = none the VM runs. */
function policyStates(l4: u32): u32 {
  return l4 == 6 ? 11 : l4 == 17 ? 2 : 0;
}

/** Load-time checks of a policy record (nft_ct_timeout_obj_init): tcp with its 11 states or udp with its 2. */
export function checkCtTimeoutObj(p: usize): i32 {
  const l4 = <u32>load<u8>(p, CT_TIMEOUT_OBJ_L4PROTO);
  const n = policyStates(l4);
  if (!n || <u32>load<u8>(p, CT_TIMEOUT_OBJ_LEN) != n << 2) return loadFail(LoadError.UnsupportedKey, Op.CtTimeoutObj, l4);
  return 0;
}

/**
 * nf_ct_untimeout: named ct timeout object `k` is gone (an in-place commit
 * deleted it: commit.ts), and the entries that used its policy fall back to
 * the sysctls, also once a later object takes its record.
 */
export function untimeout(k: u32): void {
  const n = entriesUsed();
  for (let i: u32 = 0; i < n; i++) {
    const ct = entryAt(i);
    const used = <u32>load<u8>(ct, CTE_USED);
    if (used >> CTE_USED_POLICY_SHIFT == k + 1) store<u8>(ct, <u8>(used & ((1 << CTE_USED_POLICY_SHIFT) - 1)), CTE_USED);
  }
}

/**
 * After a whole load: the entries' policies follow their objects to their
 * new indices. `map` holds one byte per old object index (the new index +
 * 1, 0: the object is gone, and the entry reads the sysctls as after
 * untimeout); `n` of them.
 */
export function remapPolicies(map: usize, n: u32): void {
  const used = entriesUsed();
  for (let i: u32 = 0; i < used; i++) {
    const ct = entryAt(i);
    const u = <u32>load<u8>(ct, CTE_USED);
    const old = u >> CTE_USED_POLICY_SHIFT;
    if (!old) continue;
    const k = old <= n ? <u32>load<u8>(map + <usize>old - 1) : 0;
    store<u8>(ct, <u8>((k << CTE_USED_POLICY_SHIFT) | (u & ((1 << CTE_USED_POLICY_SHIFT) - 1))), CTE_USED);
  }
}

/** Load-time check of `ct timeout set` on object `k`: its number must fit the entry's policy bits. */
export function checkPolicyIndex(k: u32): i32 {
  return k + 1 > <u32>CTE_USED_POLICY_MAX ? loadFail(LoadError.BadObject, k) : 0;
}

/**
 * Makes entry `ct`'s policy the one timeoutMs reads (nf_ct_timeout_lookup).
 * The entry holds the object's index + 1 in the active ruleset; an index that
 * no longer names a policy for its protocol (the ruleset changed) reads the
 * sysctls, as the kernel's entries do once their object is gone.
 */
@inline export function usePolicy(ct: usize): void {
  if (load<u8>(ct, CTE_USED) >> CTE_USED_POLICY_SHIFT) attachPolicy(ct);
  else if (policyActive()) setPolicy(0, 0, 0);
}

function attachPolicy(ct: usize): void {
  const n = <u32>load<u8>(ct, CTE_USED) >> CTE_USED_POLICY_SHIFT;
  if (!rtRuleset || n > load<u32>(rtRuleset, RS_NOBJECTS)) {
    setPolicy(0, 0, 0);
    return;
  }
  const o = rtObjects + <usize>(n - 1) * OB_SIZE;
  const st = <usize>load<u32>(o, OB_STATE);
  const l4 = <u32>load<u8>(ct, CTE_PROTO);
  if (<u32>load<u8>(o, OB_TYPE) != ObjectType.CtTimeout || !st || <u32>load<u8>(st, CT_TIMEOUT_OBJ_L4PROTO) != l4) {
    setPolicy(0, 0, 0);
    return;
  }
  setPolicy(st + CT_TIMEOUT_OBJ_TIMEOUTS, l4 == 6 ? CtTimeout.TcpSynSent : CtTimeout.Udp, policyStates(l4));
}

// Mirrors nft_ct_timeout_obj_eval: a new (unconfirmed) entry of the object's
// protocol takes the policy, and its timeout becomes the policy's first value
// (tcp SYN_SENT, udp unreplied), whatever its state.
export function evalCtTimeoutObj(ct: usize, k: u32, st: usize, tprot: u32): void {
  if (<u32>load<u8>(st, CT_TIMEOUT_OBJ_L4PROTO) != tprot) return;
  if (!ct || status(ct) & CtStatus.Confirmed) return;
  store<u8>(ct, <u8>(((k + 1) << CTE_USED_POLICY_SHIFT) | 1), CTE_USED);
  refresh(ct, load<u32>(st, CT_TIMEOUT_OBJ_TIMEOUTS) * 1000);
}
