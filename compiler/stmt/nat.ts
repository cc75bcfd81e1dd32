// The nat statements (kernel: net/netfilter/nft_nat.c, nft_masq.c,
// nft_redir.c; nftables: src/evaluate.c stmt_evaluate_nat): addresses and
// ports go into registers, the statement names the registers. `snat ip to
// 10.0.0.1:1024-2048` → immediate reg 1 0x0100000a; immediate reg 2 0x00000004;
// immediate reg 3 0x00000008; nat snat ip addr_min reg 1 proto_min reg 2 proto_max reg 3 flags 0x2.

import type { Expr, Stmt } from '../ast.js';
import { datatype, encodeNum } from '../datatype.js';
import type { RuleCompiler } from '../linearize.js';
import { netlinkReg } from '../regs.js';
import { keywordSpan, type Span } from '../source.js';
import { mapExpr } from '../expr/map.js';

/** NF_NAT_RANGE_* flags by nft keyword. */
const NAT_FLAGS: Record<string, number> = { random: 0x4, persistent: 0x8, 'fully-random': 0x10, netmap: 0x40 };
/** NF_NAT_RANGE_PROTO_SPECIFIED: the statement gives ports. */
const NAT_PROTO_SPECIFIED = 0x2;

/** `snat`, `dnat`, `masquerade`, `redirect` with their address, port and flags. */
export function natStmt(rc: RuleCompiler, s: Stmt & { k: 'nat' }): void {
  const fam = rc.family;
  const kw = keywordSpan(s.span, s.type);
  // The address family: the table's, or in inet the statement's or the matched protocol's.
  const ctx = fam === 'inet' ? rc.nh : fam === 'ip6' ? 'ip6' : 'ip';
  if (s.family && ctx && ctx !== s.family) {
    rc.err(kw, `conflicting protocols specified: ${ctx} vs. ${s.family}. You must specify ip or ip6 family in nat statement`);
  }
  const nfam = s.family ?? (ctx === 'ip' || ctx === 'ip6' ? ctx : 'inet');
  if (s.addr && nfam === 'inet') rc.err(kw, `ip or ip6 must be specified with address for inet tables.`);
  let flags = 0;
  for (const f of s.flags) flags |= NAT_FLAGS[f] ?? 0;
  if (s.prefixKw) flags |= NAT_FLAGS.netmap!;
  let pmin: number | undefined;
  let pmax: number | undefined;
  if (s.type === 'masquerade' || s.type === 'redirect') {
    if (s.port) {
      [pmin, pmax] = natPorts(rc, s.port);
      flags |= NAT_PROTO_SPECIFIED;
    }
    rc.insns.push({ op: s.type === 'masquerade' ? 'masq' : 'redir', protoMin: pmin, protoMax: pmax, flags });
    return;
  }
  const addrType = datatype(nfam === 'ip6' ? 'ipv6_addr' : 'ipv4_addr');
  const abits = nfam === 'ip6' ? 128 : 32;
  let amin: number | undefined;
  let amax: number | undefined;
  const a = s.addr;
  if (a?.k === 'map') {
    // The map's data is an address, or address . port; ranges of either give the max registers.
    const shape = natMapShape(rc, a);
    const d = rc.regs.get();
    mapExpr(rc, a, addrType, abits, shape.port ? [{ type: addrType, bits: abits }, { type: datatype('inet_service'), bits: 16 }] : undefined).load(d);
    if (shape.port) needL4ForPorts(rc, a.span);
    // nft numbers the parts in steps of the address size (so an ip6 port lands 16 bytes on).
    let slot = 0;
    const next = () => netlinkReg(d + (abits / 32) * slot++);
    amin = next();
    if (shape.port) pmin = next();
    if (shape.interval) {
      amax = next();
      if (shape.port) pmax = next();
    }
  } else if (a) {
    const al = rc.scalar(addrType, abits, a.span);
    if (a.k === 'range') {
      amin = rc.immediate(rc.constBytes(al, a.lo));
      amax = rc.immediate(rc.constBytes(al, a.hi));
    } else if (a.k === 'prefix') {
      const v = rc.value(al, a.e);
      const hostBits = BigInt(abits - a.len);
      const lo = (v >> hostBits) << hostBits;
      amin = rc.immediate(encodeNum(lo, abits / 8, 'be'));
      amax = rc.immediate(encodeNum(lo | ((1n << hostBits) - 1n), abits / 8, 'be'));
    } else if (a.k === 'sym') {
      amin = rc.immediate(rc.constBytes(al, a));
    } else {
      const d = rc.regs.get();
      rc.lhs(a).load(d);
      amin = netlinkReg(d);
    }
  }
  if (s.port) {
    [pmin, pmax] = natPorts(rc, s.port);
    flags |= NAT_PROTO_SPECIFIED;
  }
  rc.insns.push({ op: 'nat', kind: s.type as 'snat', family: nfam, addrMin: amin, addrMax: amax, protoMin: pmin, protoMax: pmax, flags });
}

function needL4ForPorts(rc: RuleCompiler, span: Span): void {
  if (!rc.th) rc.err(span, `transport protocol mapping is only valid after transport protocol match`);
}

/** Whether a nat map's data carries a port (`addr . port`) and ranges (`a-b`, prefixes). */
function natMapShape(rc: RuleCompiler, m: Expr & { k: 'map' }): { port: boolean; interval: boolean } {
  if (m.map.k === 'setref') {
    const set = rc.table.sets.get(m.map.name);
    return { port: (set?.dataParts?.length ?? 1) > 1, interval: false };
  }
  const datas = m.map.k === 'set' ? m.map.elems.flatMap((el) => (el.data ? [el.data] : [])) : [];
  const parts = (e: Expr) => (e.k === 'concat' ? e.parts : [e]);
  return {
    port: datas.some((e) => parts(e).length > 1),
    interval: datas.some((e) => parts(e).some((x) => x.k === 'range' || x.k === 'prefix')),
  };
}

/** The port or port range of a nat statement: registers of its low and high end. */
function natPorts(rc: RuleCompiler, p: Expr): [number, number | undefined] {
  needL4ForPorts(rc, p.span);
  const pl = rc.scalar(datatype('inet_service'), 16, p.span);
  if (p.k === 'range') return [rc.immediate(rc.constBytes(pl, p.lo)), rc.immediate(rc.constBytes(pl, p.hi))];
  if (p.k === 'sym') return [rc.immediate(rc.constBytes(pl, p)), undefined];
  const a = rc.regs.get();
  rc.lhs(p).load(a);
  return [netlinkReg(a), undefined];
}
