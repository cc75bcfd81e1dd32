// socket (kernel: net/netfilter/nft_socket.c): keys of the packet's socket.
// A replay has no sockets but the one a locally generated packet carries
// (PktFlags.Socket, a plain socket: not transparent, no SO_MARK, bound to
// its address); nf_sk_lookup_slow_v4/v6 finds no local listener (they are
// not modelled), so everything else BREAKs as the kernel does without a
// socket. `[ socket load transparent => reg 1 ]`.

import { Family, LoadError, Op, PktFlags, PKT_FLAGS, SocketKey, SOCKET_DREG, SOCKET_KEY, Verdict } from '../abi';
import { loadFail, regs } from '../mem';
import { pDesc } from '../packet';
import { vFamily } from '../verify';

/** Load-time checks (nft_socket_init): ip, ip6 and inet tables, a known key. */
export function checkSocket(insn: usize): i32 {
  if (vFamily != Family.Ipv4 && vFamily != Family.Ipv6 && vFamily != Family.Inet) return loadFail(LoadError.BadOperand, Op.Socket, 0, vFamily);
  const k = <i32>load<u8>(insn, SOCKET_KEY);
  if (k > SocketKey.Cgroupv2) return loadFail(LoadError.BadOperand, Op.Socket, SOCKET_KEY, k);
  return 0;
}

// Mirrors nft_socket_eval with only the packet's own socket (skb->sk).
export function evalSocket(insn: usize): void {
  const k = <i32>load<u8>(insn, SOCKET_KEY);
  // cgroupv2: the socket's cgroup is not modelled (an unknown ancestor → BREAK).
  if (!(load<u8>(pDesc, PKT_FLAGS) & PktFlags.Socket) || k == SocketKey.Cgroupv2) {
    store<i32>(regs, Verdict.Break);
    return;
  }
  // transparent (inet_sk_transparent), mark (sk_mark), wildcard (bound to any address): all 0 for a plain socket.
  store<u32>(regs + (<usize>load<u8>(insn, SOCKET_DREG) << 2), 0);
}
