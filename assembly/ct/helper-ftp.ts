// The ftp conntrack helper (kernel: net/netfilter/nf_conntrack_ftp.c, attached
// by a ct helper object: nft_ct.c nft_ct_helper_obj_*): at the confirm hook it
// reads the control connection's lines (PORT/EPRT from the client, 227/229
// replies from the server) and expects the data connection they announce.
// `ct helper ftp-std { type "ftp" protocol tcp; }`, `tcp dport 21 ct helper set "ftp-std"`.

import {
  CtHelper, CtInfo, CtStatus, CTE_L3, CTE_ORIG, CTE_PROTO, CTE_REPLY, CTE_TCP_FLAGS0, CT_HELPER_OBJ_HELPER, CT_HELPER_OBJ_L3PROTO,
  CT_HELPER_OBJ_L4PROTO, LoadError, Op, TcpDirFlags, TUP_DST, TUP_SRC,
} from '../abi';
import { loadFail } from '../mem';
import { setStatusBits, status } from './entry';
import { expectAdd } from './expect';

/** The ftp helper's expectation timeout (its expect policy: 5 minutes). */
const FTP_EXPECT_MS: u32 = 300 * 1000;

/** Load-time checks of a ct helper object: the VM runs the ftp helper over tcp. */
export function checkCtHelperObj(p: usize): i32 {
  const h = <u32>load<u8>(p, CT_HELPER_OBJ_HELPER);
  if (h != CtHelper.Ftp || load<u8>(p, CT_HELPER_OBJ_L4PROTO) != 6) return loadFail(LoadError.UnsupportedKey, Op.CtHelperObj, h);
  return 0;
}

// Mirrors nft_ct_helper_obj_eval: a new entry of the object's protocol and
// family without a helper gets this one (IPS_HELPER marks it).
export function evalCtHelperObj(ct: usize, st: usize): void {
  if (!ct || status(ct) & (CtStatus.Confirmed | CtStatus.Helper)) return;
  if (load<u8>(ct, CTE_PROTO) != load<u8>(st, CT_HELPER_OBJ_L4PROTO)) return;
  const fam = <u32>load<u8>(st, CT_HELPER_OBJ_L3PROTO);
  const l3 = <u32>load<u8>(ct, CTE_L3);
  if (fam == 2 || fam == 10 ? fam != l3 : fam != 1 && fam != 0) return;
  setStatusBits(ct, CtStatus.Helper);
}

// The command or reply being parsed (struct nf_conntrack_man): IPv4 address (host order) and port.
let cmdAddr: u32 = 0;
let cmdPort: u32 = 0;
/** The command named an address: 4 (cmdAddr), 6 (addr6), 0 none. */
let cmdHasAddr: u32 = 0;
/** An IPv6 address an EPRT named. */
const addr6: usize = memory.data(16);

@inline function isDigit(c: u32): bool {
  return c - 48 < 10;
}

/** Case-insensitive match of the first `n` (≤ 4) bytes at `p` with the 4 characters packed in `pat` (first in the low byte). */
function prefixCI(p: usize, pat: u32, n: u32): bool {
  for (let i: u32 = 0; i < n; i++) {
    let c = <u32>load<u8>(p + i);
    if (c - 97 < 26) c -= 32;
    if (c != ((pat >> (i << 3)) & 0xff)) return false;
  }
  return true;
}

/** try_number: `size` decimal numbers separated by `sep`, ended by `term` (0: anything); the length read, 0 when malformed. Numbers land in nums. */
const nums: usize = memory.data(32);
function tryNumber(p: usize, len: u32, size: u32, sep: u32, term: u32): u32 {
  memory.fill(nums, 0, 32);
  let i: u32 = 0;
  for (let k: u32 = 0; k < len && i < size; k++) {
    const c = <u32>load<u8>(p + k);
    if (isDigit(c)) store<u32>(nums + (<usize>i << 2), load<u32>(nums + (<usize>i << 2)) * 10 + c - 48);
    else if (c == sep) i++;
    else return (c == term || !term) && i == size - 1 ? k : 0;
  }
  return 0;
}

@inline function num(i: u32): u32 {
  return load<u32>(nums + (<usize>i << 2));
}

/** try_rfc959 (PORT, and 227 with no terminator): h1,h2,h3,h4,p1,p2. */
function tryRfc959(p: usize, len: u32, term: u32): u32 {
  const n = tryNumber(p, len, 6, 44, term);
  if (!n) return 0;
  cmdAddr = (num(0) << 24) | (num(1) << 16) | (num(2) << 8) | num(3);
  cmdHasAddr = 4;
  cmdPort = ((num(4) << 8) | num(5)) & 0xffff;
  return n;
}

/** get_port: decimal digits from `start` up to the delimiter; the length read, 0 when malformed or 0. */
function getPort(p: usize, start: u32, len: u32, delim: u32): u32 {
  let port: u32 = 0;
  for (let i = start; i < len; i++) {
    const c = <u32>load<u8>(p + i);
    if (c == delim) {
      if (!port) return 0;
      cmdPort = port & 0xffff;
      return i + 1;
    }
    if (!isDigit(c)) return 0;
    port = (port * 10 + c - 48) & 0xffff;
  }
  return 0;
}

@inline function badDelim(d: u32): bool {
  return isDigit(d) || d < 33 || d > 126;
}

@inline function hexVal(c: u32): i32 {
  return c - 48 < 10 ? <i32>(c - 48) : (c | 32) - 97 < 6 ? <i32>((c | 32) - 87) : -1;
}

/** in6_pton for an EPRT: hex groups, one `::`, up to `term`; the length read (0 when malformed), the address in addr6. No dotted IPv4 tail. */
function parseIpv6(p: usize, len: u32, term: u32): u32 {
  const groups = nums;
  let n: u32 = 0;
  let gap: i32 = -1;
  let val: u32 = 0;
  let digits: u32 = 0;
  let i: u32 = 0;
  while (true) {
    if (i >= len) return 0;
    const c = <u32>load<u8>(p + i);
    if (c == term) break;
    const h = hexVal(c);
    if (h >= 0) {
      if (digits == 4) return 0;
      val = (val << 4) | <u32>h;
      digits++;
      i++;
      continue;
    }
    if (c != 58) return 0;
    const pair = i + 1 < len && load<u8>(p + i + 1) == 58;
    if (digits) {
      if (n == 8) return 0;
      store<u16>(groups + (<usize>n << 1), <u16>val);
      n++;
      val = 0;
      digits = 0;
    } else if (!pair) return 0;
    if (pair) {
      if (gap >= 0) return 0;
      gap = <i32>n;
      i += 2;
    } else i++;
  }
  if (digits) {
    if (n == 8) return 0;
    store<u16>(groups + (<usize>n << 1), <u16>val);
    n++;
  } else if (gap != <i32>n) return 0;
  if (gap < 0 ? n != 8 : n > 7) return 0;
  memory.fill(addr6, 0, 16);
  const tail: u32 = gap < 0 ? 0 : n - <u32>gap;
  const head: u32 = n - tail;
  for (let k: u32 = 0; k < head; k++) store<u16>(addr6 + (<usize>k << 1), bswap<u16>(load<u16>(groups + (<usize>k << 1))));
  for (let k: u32 = 0; k < tail; k++) store<u16>(addr6 + (<usize>(8 - tail + k) << 1), bswap<u16>(load<u16>(groups + (<usize>(head + k) << 1))));
  return i;
}

/** try_eprt: `|1|a.b.c.d|port|` on an IPv4 connection, `|2|ipv6|port|` on an IPv6 one. */
function tryEprt(p: usize, len: u32, v6: bool): u32 {
  if (len <= 3) return 0;
  const d = <u32>load<u8>(p);
  if (badDelim(d) || <u32>load<u8>(p, 2) != d) return 0;
  if (load<u8>(p, 1) != (v6 ? 50 : 49)) return 0;
  let n: u32 = 0;
  if (v6) {
    n = parseIpv6(p + 3, len - 3, d);
    if (!n) return 0;
    cmdHasAddr = 6;
  } else {
    n = tryNumber(p + 3, len - 3, 4, 46, d);
    if (!n) return 0;
    cmdAddr = (num(0) << 24) | (num(1) << 16) | (num(2) << 8) | num(3);
    cmdHasAddr = 4;
  }
  return getPort(p, 3 + n + 1, len, d);
}

/** try_epsv_response: `|||port|`, the address stays the sender's. */
function tryEpsv(p: usize, len: u32): u32 {
  if (len <= 3) return 0;
  const d = <u32>load<u8>(p);
  if (badDelim(d) || <u32>load<u8>(p, 1) != d || <u32>load<u8>(p, 2) != d) return 0;
  return getPort(p, 3, len, d);
}

const PAT_PORT: u32 = 0x54524f50; // "PORT"
const PAT_EPRT: u32 = 0x54525045; // "EPRT"
const PAT_227: u32 = 0x20373232; // "227 "
const PAT_229: u32 = 0x20393232; // "229 "

/** find_pattern: 1 found (cmd* set), 0 not this command, -1 a partial or malformed one. */
function findPattern(p: usize, len: u32, pat: u32, v6: bool): i32 {
  if (len <= 4) return prefixCI(p, pat, len) ? -1 : 0;
  if (!prefixCI(p, pat, 4)) return 0;
  let i: u32 = 4;
  const skip: u32 = pat == PAT_227 ? 0 : pat == PAT_229 ? 40 : 32;
  if (!skip) {
    while (!isDigit(<u32>load<u8>(p + i))) {
      if (i == len - 1) return -1;
      i++;
    }
  } else {
    while (<u32>load<u8>(p + i) != skip) {
      if (i == len - 1) return -1;
      i++;
    }
    i++;
  }
  const q = p + i;
  const n = len - i;
  let got: u32 = 0;
  if (pat == PAT_PORT) got = tryRfc959(q, n, 13);
  else if (pat == PAT_227) got = tryRfc959(q, n, 0);
  else if (pat == PAT_EPRT) got = tryEprt(q, n, v6);
  else got = tryEpsv(q, n);
  return got ? 1 : -1;
}

/**
 * The ftp helper's help() for a packet of helper entry `ct` (nf_confirm, at
 * the confirm hook): TCP data of an established connection, parsed when it
 * starts a line in its direction (the kernel's seq_aft_nl, here a flag set
 * when that side's previous data ended in a newline). A PORT/EPRT or 227/229
 * naming the sender's own address expects a TCP connection from the other
 * side to that port.
 */
export function ftpHelp(ct: usize, ctinfo: u32, th: usize, end: usize): void {
  if (ctinfo != CtInfo.Established && ctinfo != CtInfo.EstablishedReply) return;
  if (th + 20 > end) return;
  const data = th + (<usize>(load<u8>(th, 12) >> 4) << 2);
  if (data >= end) return;
  const len = <u32>(end - data);
  const dir: u32 = ctinfo == CtInfo.EstablishedReply ? 1 : 0;
  const fl = ct + CTE_TCP_FLAGS0 + (<usize>dir << 1);
  const atLine = (load<u8>(fl) & TcpDirFlags.FtpLineStart) != 0;
  const endsNl = load<u8>(end - 1) == 10;
  store<u8>(fl, <u8>(endsNl ? load<u8>(fl) | TcpDirFlags.FtpLineStart : load<u8>(fl) & ~TcpDirFlags.FtpLineStart));
  if (!atLine) return;
  const v6 = load<u8>(ct, CTE_L3) == 10;
  cmdHasAddr = 0;
  cmdPort = 0;
  let found = findPattern(data, len, dir ? PAT_227 : PAT_PORT, v6);
  if (!found) found = findPattern(data, len, dir ? PAT_229 : PAT_EPRT, v6);
  // found < 0: the kernel drops the packet ("partial" command); the VM lets it pass.
  if (found <= 0) return;
  const own = ct + (dir ? CTE_REPLY : CTE_ORIG);
  const other = ct + (dir ? CTE_ORIG : CTE_REPLY);
  // An address other than the sender's own is not recorded (the helper's loose=0); PORT/227 never match an IPv6 sender.
  if (cmdHasAddr == 4 && (v6 || bswap<u32>(cmdAddr) != load<u32>(own, TUP_SRC))) return;
  if (cmdHasAddr == 6 && memory.compare(addr6, own + TUP_SRC, 16) != 0) return;
  expectAdd(ct, v6 ? 10 : 2, 6, other + TUP_SRC, other + TUP_DST, bswap<u16>(<u16>cmdPort), FTP_EXPECT_MS);
}
