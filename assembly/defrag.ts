// Fragment reassembly in front of conntrack (kernel: nf_defrag_ipv4 /
// nf_defrag_ipv6 at NF_IP_PRI_CONNTRACK_DEFRAG = -400 in prerouting and
// output): chains below -400 see the fragments, later chains and conntrack
// see the datagram once, when its last missing fragment arrives.
// `udp dport 7000` in a filter chain matches a datagram sent in three fragments.
// Layouts and results: defrag/record.ts; queues: defrag/queue.ts; data: defrag/pages.ts; per family: defrag/ipv4.ts, defrag/ipv6.ts.

import { pUntracked } from './packet';
import { defrag4, reason4 } from './defrag/ipv4';
import { defrag6, reason6 } from './defrag/ipv6';
import { defragReady, queueInit } from './defrag/queue';
import { DEFRAG_PASS } from './defrag/record';

export { DEFRAG_PASS, DEFRAG_STOLEN, DEFRAG_DONE, DEFRAG_DROP, DefragReason } from './defrag/record';
export { queueCount as defragQueues, memOf as defragMem, setFragTimeout as defragSetTimeout, setHighThresh as defragSetHighThresh } from './defrag/queue';
export { setMaxDist as defragSetMaxDist } from './defrag/ipv4';

/** Lays out the reassembly area once (from ctInit): `bytes` of queue memory, half of it each family's high threshold. */
export function defragInit(bytes: u32): void {
  queueInit(bytes);
}

/** Why the last defrag() call ended as it did (DefragReason). */
export let defragReason: i32 = 0;

/**
 * ip_defrag / nf_ct_frag6_gather for the current packet (IPv4 when v6 =
 * false), as the defrag hook at -400 of prerouting (pHook 0) or output
 * (pHook 3) runs it; packet time is pTstamp. DEFRAG_PASS: not a fragment,
 * defrag off, or let through as it is; DEFRAG_STOLEN: queued, or (IPv4)
 * discarded — nf_defrag_ipv4 answers NF_STOLEN for every fragment ip_defrag
 * keeps or frees; DEFRAG_DONE: the packet (pData … pL4, mark, priority,
 * secmark, pkttype, nftrace of the head fragment) is now the datagram, in
 * this module's buffer until the next call; DEFRAG_DROP: IPv6 only,
 * nf_ct_frag6_gather's errors, which ipv6_defrag turns into NF_DROP.
 */
export function defrag(v6: bool): i32 {
  defragReason = 0;
  // notrack before -400 (skb->_nfct == IP_CT_UNTRACKED): no reassembly.
  if (!defragReady() || pUntracked) return DEFRAG_PASS;
  const r = v6 ? defrag6() : defrag4();
  defragReason = v6 ? reason6 : reason4;
  return r;
}
