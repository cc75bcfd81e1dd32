// The delinearizer: one rule's instructions back to nft rule text, as
// `nft list ruleset` prints it (nftables: src/netlink_delinearize.c,
// rewritten). Pass 1 replays the registers and builds statements; pass 2
// names payloads from the protocol context, drops the dependencies nft
// added, merges `>= a` `<= b` into `a-b`; then everything is printed.
// `meta load l4proto; cmp eq 6; payload load 2b @ transport + 2; cmp eq 22` → `tcp dport 22`.

import type { Insn } from '../insn.js';
import type { SetDef } from '../linearize.js';
import type { DCtx, DExpr, DStmt, RExpr } from './types.js';
import { otherKey } from './keys.js';
import { simpleStmt, limitText, rejectText } from './stmt.js';
import { natText } from './nat.js';
import { exprText, relText, setRef, vtOf, vtsOf } from './print.js';
import { protocols } from '../proto/index.js';
import { thField, exactField, initialCtx, maskedField, prefixField, rawKey, selection, tiledFields, prefixType, type ProtoCtx } from './payload.js';
import { bytes, flagList, isBitmask, num, valueText, type ValueType } from './value.js';
import { exthdrKey } from './exthdr.js';

/** Register number → first 32-bit data word (reg 1 = word 4 = reg 8). */
function word(reg: number): number {
  return reg <= 4 ? reg * 4 : reg - 4;
}

function keyLen(e: DExpr): number {
  return Math.max(1, Math.ceil(vtOf(e).bits / 8));
}

class Rule {
  regs = new Map<number, DExpr>();
  stmts: (DStmt | { k: 'late'; f: () => string })[] = [];
  anon: SetDef[];
  constructor(private ctx: DCtx, anon: SetDef[]) {
    this.anon = [...anon];
    this.pctx = initialCtx(ctx.family);
  }

  reg(n: number): DExpr | undefined {
    return this.regs.get(word(n));
  }

  set(name: string): SetDef | undefined {
    if (name.includes('%d')) return this.anon.shift();
    return this.ctx.sets.get(name);
  }

  /** The key at `sreg` for a lookup of `len` bytes: one expression or a concatenation. */
  key(sreg: number, len: number): DExpr {
    const first = this.reg(sreg);
    if (!first) return { k: 'value', data: new Uint8Array(len) };
    const parts: DExpr[] = [first];
    let w = word(sreg) + Math.ceil(keyLen(first) / 4);
    let got = Math.ceil(keyLen(first) / 4) * 4;
    while (got < len) {
      const e = this.regs.get(w);
      if (!e) break;
      parts.push(e);
      w += Math.ceil(keyLen(e) / 4);
      got += Math.ceil(keyLen(e) / 4) * 4;
    }
    return parts.length > 1 ? { k: 'concat', parts } : first;
  }

  setKeyLen(s: SetDef): number {
    const parts = s.keyParts ?? [{ bits: s.keyBits }];
    return parts.reduce((a, p) => a + Math.ceil(p.bits / 32) * 4, 0);
  }

  dataVts(s: SetDef): ValueType[] | undefined {
    if (!s.dataType) return undefined;
    const parts = s.dataParts ?? [{ type: s.dataType, bits: s.dataBits ?? s.dataType.bits }];
    return parts.map((p) => ({ type: p.type.name, order: p.type.order, bits: p.bits }));
  }

  late(f: () => string): void {
    this.stmts.push({ k: 'late', f });
  }

  insn(i: Insn): void {
    const fam = this.ctx.family;
    switch (i.op) {
      case 'payload':
        this.regs.set(word(i.dreg), { k: 'payload', base: i.base, offset: i.offset * 8, len: i.len * 8 });
        return;
      case 'exthdr':
        this.regs.set(word(i.dreg), exthdrKey(i));
        return;
      case 'meta': case 'ct': case 'fib': case 'rt': case 'numgen': case 'hash': case 'socket': case 'osf': case 'xfrm': {
        const k = otherKey(i, fam, (n) => this.key(n, i.op === 'hash' ? i.len : 4), (e) => this.print(e));
        if (k) this.regs.set(word(i.dreg), k);
        return;
      }
      case 'immediate':
        this.regs.set(word(i.dreg), { k: 'value', data: i.data });
        return;
      case 'bitwise': {
        const src = this.reg(i.sreg);
        if (!src) return;
        const allOnes = i.mask.every((x) => x === 0xff);
        const noXor = i.xor.every((x) => x === 0);
        const e: DExpr = noXor ? { k: 'binop', op: '&', left: src, right: i.mask } : { k: 'binop', op: allOnes ? '^' : '&', left: src, right: i.mask, mask: i.mask, xor: i.xor };
        this.regs.set(word(i.dreg), e);
        return;
      }
      case 'bitwise_shift': {
        const src = this.reg(i.sreg);
        if (!src) return;
        this.regs.set(word(i.dreg), { k: 'binop', op: i.left ? '<<' : '>>', left: src, right: bytes(BigInt(i.shift), 4, 'host') });
        return;
      }
      case 'byteorder': {
        const src = this.reg(i.sreg);
        if (src) this.regs.set(word(i.dreg), src.k === 'hton' ? src.inner : { k: 'hton', inner: src });
        return;
      }
      case 'cmp': {
        const left = this.reg(i.sreg);
        if (!left) return;
        const op = (['eq', 'neq', 'lt', 'lte', 'gt', 'gte'] as const)[i.cmp]!;
        this.stmts.push({ k: 'rel', left, op, right: { k: 'value', data: i.data } });
        return;
      }
      case 'range': {
        const left = this.reg(i.sreg);
        if (left) this.stmts.push({ k: 'rel', left, op: i.neq ? 'neq' : 'eq', right: { k: 'range', from: i.from, to: i.to } });
        return;
      }
      case 'lookup': {
        const s = this.set(i.set);
        if (!s || this.ctx.unlisted?.has(s)) return;
        const left = this.key(i.sreg, this.setKeyLen(s));
        if (i.dreg === undefined) {
          this.stmts.push({ k: 'rel', left, op: i.inv ? 'neq' : 'eq', right: { k: 'set', set: s } });
        } else if (i.dreg === 0) {
          this.late(() => {
            const l = this.resolved(left)!;
            return `${exprText(l)} vmap ${setRef(s, vtsOf(l))}`;
          });
        } else {
          const dv = this.dataVts(s) ?? [{ type: 'integer', order: 'be', bits: 32 }];
          this.regs.set(word(i.dreg), { k: 'map', key: left, set: s, vt: dv[0]!, dataVts: dv } as DExpr);
        }
        return;
      }
      case 'meta_set': {
        const v = this.reg(i.sreg);
        const k = otherKey({ op: 'meta', key: i.key, dreg: 1 }, fam, () => undefined, () => '')!;
        this.late(() => `${this.print(k)} set ${this.operand(v, vtOf(k))}`);
        return;
      }
      case 'ct_set': {
        const v = this.reg(i.sreg);
        const k = otherKey({ op: 'ct', key: i.key, dreg: 1, dir: i.dir }, fam, () => undefined, () => '')!;
        const vt = vtOf(k);
        this.late(() => {
          if (i.key === 'helper' || i.key === 'event' && false) return `ct helper set ${this.operand(v, { type: 'string', order: 'be', bits: 128 })}`;
          if (i.key === 'label' && v?.k === 'value') {
            let b = 0;
            const n = num(v.data, 'host');
            while (b < 128 && !(n & (1n << BigInt(b)))) b++;
            return `ct label set ${b}`;
          }
          return `${this.print(k)} set ${this.operand(v, vt)}`;
        });
        return;
      }
      case 'payload_write': {
        const v = this.reg(i.sreg);
        const target: DExpr = { k: 'payload', base: i.base, offset: i.offset * 8, len: i.len * 8 };
        const holder = { k: 'rel', left: target, op: 'eq', right: { k: 'text', text: '' }, write: v } as DStmt & { write?: DExpr };
        this.stmts.push(holder);
        return;
      }
      case 'exthdr_write': {
        const v = this.reg(i.sreg);
        const k = exthdrKey({ op: 'exthdr', exop: i.exop, dreg: 1, type: i.type, offset: i.offset, len: i.len, flags: 0 });
        this.late(() => `${this.print(k)} set ${this.operand(v, vtOf(k))}`);
        return;
      }
      case 'dynset': {
        const s = this.set(i.set);
        if (!s) return;
        const key = this.key(i.sregKey, this.setKeyLen(s));
        const data = i.sregData !== undefined ? this.reg(i.sregData) : undefined;
        // An element's counter prints without its values; one the set declares for every element not at all.
        const setCounter = this.ctx.counterSets?.has(s.name);
        const exprs = i.exprs
          .filter((e) => !(e.op === 'counter' && setCounter))
          .map((e) => (e.op === 'counter' ? 'counter' : e.op === 'limit' ? limitText(e) : simpleStmt(e, fam) ?? e.op));
        this.late(() => {
          let inner = this.print(key);
          if (i.timeout) inner += ` timeout ${timeText(i.timeout)}`;
          for (const x of exprs) inner += ` ${x}`;
          if (data) inner += ` : ${this.operand(data, this.dataVts(s)?.[0] ?? vtOf(data))}`;
          const op = ['add', 'update', 'delete'][i.setOp];
          if (isMeter(s)) return `meter ${s.name} size ${s.size ?? 65535} { ${inner} }`;
          return `${op} @${s.name} { ${inner} }`;
        });
        return;
      }
      case 'objref': {
        const type = ({ 1: 'counter', 2: 'quota', 3: 'ct helper', 4: 'limit', 7: 'ct timeout', 8: 'secmark', 9: 'ct expectation', 10: 'synproxy' } as Record<number, string>)[i.type] ?? 'counter';
        if (type.startsWith('ct ') || type === 'secmark') this.late(() => `${type} set "${i.name}"`);
        else if (type === 'synproxy') this.late(() => `synproxy name "${i.name}"`);
        else this.late(() => `${type} name "${i.name}"`);
        return;
      }
      case 'objref_map': {
        const s = this.set(i.set);
        if (!s) return;
        const key = this.key(i.sreg, this.setKeyLen(s));
        const type = ({ 1: 'counter', 2: 'quota', 3: 'ct helper', 4: 'limit', 7: 'ct timeout', 8: 'secmark' } as Record<number, string>)[s.objMap ?? 1] ?? 'counter';
        this.late(() => {
          const k = this.resolved(key)!;
          const m = `${exprText(k)} map ${setRef(s, vtsOf(k), [{ type: 'string', order: 'be', bits: 128 }])}`;
          return type.startsWith('ct ') || type === 'secmark' ? `${type} set ${m}` : `${type} name ${m}`;
        });
        return;
      }
      case 'nat': case 'masq': case 'redir': {
        const regs = new Map(this.regs);
        this.late(() => natText(i, fam, (n) => this.resolved(regs.get(word(n)))));
        return;
      }
      case 'queue': {
        if (i.sregQnum !== undefined) {
          const v = this.reg(i.sregQnum);
          const flags = [i.flags & 1 ? 'bypass' : '', i.flags & 2 ? 'fanout' : ''].filter(Boolean).join(',');
          this.late(() => `queue${flags ? ` flags ${flags}` : ''} to ${v ? this.print(v) : '?'}`);
          return;
        }
        break;
      }
      case 'reject':
        // The dependency nft added for the reject type is not listed.
        this.late(() => {
          const l3 = this.pctx.proto[1]?.name;
          if (i.type === 1 && (fam === 'ip' || fam === 'ip6')) this.kill(2, true);
          if (i.type === 0 && fam === 'inet') this.kill(1, true);
          return rejectText(i, fam, l3);
        });
        return;
      case 'dup': {
        const a = i.regAddr !== undefined ? this.reg(i.regAddr) : undefined;
        const d = i.regDev !== undefined ? this.reg(i.regDev) : undefined;
        const v6 = fam === 'ip6';
        this.late(() => {
          let s = 'dup to';
          if (a) s += ` ${this.operand(a, v6 ? { type: 'ipv6_addr', order: 'be', bits: 128 } : { type: 'ipv4_addr', order: 'be', bits: 32 })}`;
          if (d) s += `${a ? ' device' : ''} ${this.operand(d, { type: 'iface_index', order: 'host', bits: 32 })}`;
          return s;
        });
        return;
      }
      case 'fwd': {
        const d = this.reg(i.regDev);
        const a = i.regAddr !== undefined ? this.reg(i.regAddr) : undefined;
        this.late(() => {
          let s = 'fwd';
          if (a) s += ` ${i.family === 10 ? 'ip6' : 'ip'} to ${this.operand(a, i.family === 10 ? { type: 'ipv6_addr', order: 'be', bits: 128 } : { type: 'ipv4_addr', order: 'be', bits: 32 })} device`;
          else s += ' to';
          return `${s} ${this.operand(d, { type: 'iface_index', order: 'host', bits: 32 })}`;
        });
        return;
      }
      case 'tproxy': {
        const a = i.regAddr !== undefined ? this.reg(i.regAddr) : undefined;
        const p = i.regPort !== undefined ? this.reg(i.regPort) : undefined;
        this.late(() => {
          const v6 = i.family === 10;
          let s = `tproxy${fam === 'inet' && i.family ? (v6 ? ' ip6' : ' ip') : ''} to`;
          if (a) s += ` ${v6 && p ? '[' : ''}${this.operand(a, v6 ? { type: 'ipv6_addr', order: 'be', bits: 128 } : { type: 'ipv4_addr', order: 'be', bits: 32 })}${v6 && p ? ']' : ''}`;
          if (p) s += `${a ? '' : ' '}:${this.operand(p, { type: 'inet_service', order: 'be', bits: 16 })}`;
          return s;
        });
        return;
      }
    }
    const s = simpleStmt(i, fam);
    if (s !== undefined) this.late(() => s);
  }

  /** An operand register: a constant of type `vt`, or an expression. */
  operand(e: DExpr | undefined, vt: ValueType): string {
    if (!e) return '?';
    if (e.k === 'value') return valueText(vt, e.data.slice(0, Math.max(1, Math.ceil(vt.bits / 8))));
    return this.print(e);
  }

  pctx: ProtoCtx;

  /** Names payloads inside an expression from the current protocol context. */
  resolved(e: DExpr | undefined): DExpr | undefined {
    if (!e) return e;
    switch (e.k) {
      case 'payload': {
        const f = exactField(this.pctx, e.base, e.offset, e.len) ?? thField(this.pctx, e);
        if (f) {
          this.kill(f.base!);
          return f;
        }
        return rawKey(e.base, e.offset, e.len);
      }
      case 'key':
        if (e.src) return { ...e, text: e.text.replace('\0', this.print(e.src)) };
        return e;
      case 'binop': {
        // `@nh,8,8 & 0xfc` is `ip dscp` (shifted); `... >> 2` the field itself.
        const inner = e.op === '>>' && e.left.k === 'binop' && e.left.op === '&' && !e.left.xor ? e.left : e;
        if (inner.op === '&' && !inner.xor) {
          const m = this.subField(inner.left, inner.right);
          if (m && inner === e) return { ...m.key, vt: { ...m.key.vt, shift: m.shift, bytes: m.loadBits / 8 } };
          if (m && BigInt(m.shift) === num(e.right, 'host')) return m.key;
        }
        return { ...e, left: this.resolved(e.left)! };
      }
      case 'hton':
        return { ...e, inner: this.resolved(e.inner)! };
      case 'concat':
        return { ...e, parts: e.parts.map((p) => this.resolved(p)!) };
      case 'map':
        return { ...e, key: this.resolved(e.key)! };
    }
    return e;
  }

  print(e: DExpr): string {
    const r = this.resolved(e)!;
    if (r.k === 'map') {
      const dv = (r as { dataVts?: ValueType[] }).dataVts;
      return `${exprText(r.key)} map ${setRef(r.set, vtsOf(r.key), dv)}`;
    }
    return exprText(r);
  }

  /** Pass 2: context, dependencies, then text. */
  finish(): string {
    const out = this.out;
    const drop = (idx: number | undefined) => {
      if (idx !== undefined) out[idx] = undefined;
    };
    const killDep = (base: number, _v: boolean) => this.kill(base);
    void drop;
    for (const st of this.stmts) {
      if (st.k === 'late') {
        out.push(st.f());
        continue;
      }
      if (st.k === 'text') {
        out.push(st.text);
        continue;
      }
      const write = (st as { write?: DExpr }).write;
      if (write !== undefined || (st.right.k === 'text' && st.right.text === '')) {
        const folded = this.subWrite(st.left, write);
        if (folded) {
          if (folded.key.base !== undefined && folded.key.proto) killDep(folded.key.base, this.depIsNetworkKey(folded.key.base));
          out.push(`${exprText(folded.key)} set ${valueText(folded.key.vt, folded.value)}`);
          continue;
        }
        const t = this.resolved(st.left)!;
        if (t.k === 'key' && t.base !== undefined && t.proto) killDep(t.base, this.depIsNetworkKey(t.base));
        out.push(`${exprText(t)} set ${this.operand(write, vtOf(t))}`);
        continue;
      }
      const rels = this.resolveRel(st);
      for (const r of rels) {
        const lk = r.left.k === 'binop' ? r.left.left : r.left.k === 'hton' ? r.left.inner : r.left;
        const keys = lk.k === 'concat' ? lk.parts : [lk];
        // A stacked header's own protocol key (`vlan type`) keeps the `ether type 8021q` before it.
        for (const k of keys) if (k.k === 'key' && k.base !== undefined && k.proto && !(k.proto === 'vlan' && k.field === 'type')) killDep(k.base, this.depIsNetworkKey(k.base));
        for (const k of keys) if (k.k === 'key') this.killIcmpType(k);
        // `ct original protocol` implies the `ct original l3proto` nft added before it.
        if (lk.k === 'key' && lk.ct === 'protocol' && lk.dir !== undefined && this.lastRel?.left.k === 'key' && this.lastRel.left.ct === 'l3proto' && this.lastRel.left.dir === lk.dir && out[out.length - 1] === this.lastText) out[out.length - 1] = undefined;
        // Merge `>= a` and `<= b` on the same expression into `a-b`.
        const prev = this.lastRel;
        if (r.op === 'lte' && prev && prev.op === 'gte' && prev.right.k === 'value' && r.right.k === 'value' && exprText(prev.left) === exprText(r.left) && out[out.length - 1] === this.lastText) {
          const merged: DStmt & { k: 'rel' } = { k: 'rel', left: r.left, op: 'eq', right: { k: 'range', from: prev.right.data, to: r.right.data } };
          out[out.length - 1] = relText(merged);
          this.lastRel = undefined;
          continue;
        }
        const text = relText(r);
        out.push(text);
        this.lastRel = r;
        this.lastText = text;
        this.updateCtx(r, out.length - 1);
      }
    }
    return out.filter((x): x is string => x !== undefined && x !== '').join(' ');
  }

  /** Drops the statement that selected the protocol at `base` (nft's payload_dependency_kill). */
  kill(base: number, always = false): void {
    const d = this.pctx.dep[base];
    if (d === undefined) return;
    if (!always && this.depIsNetworkKey(base) && base === 2 && ['inet', 'bridge', 'netdev'].includes(this.ctx.family)) return;
    this.out[d] = undefined;
    this.pctx.dep[base] = undefined;
  }

  /** Drops `icmp type X` when the field exists only in type X (`icmp mtu` → destination-unreachable). */
  killIcmpType(k: DExpr & { k: 'key' }): void {
    if ((k.proto !== 'icmp' && k.proto !== 'icmpv6') || this.pctx.icmpDep === undefined) return;
    const f = protocols[k.proto]!.fields.find((x) => x.name === k.field);
    if (f?.icmpTypes?.length === 1 && f.icmpTypes[0] === this.pctx.icmpType) {
      this.out[this.pctx.icmpDep] = undefined;
      this.pctx.icmpDep = undefined;
    }
  }

  lastRel?: DStmt & { k: 'rel' };
  lastText?: string;

  depIsNetworkKey(base: number): boolean {
    return this.depNetworkKey[base] ?? false;
  }
  depNetworkKey: boolean[] = [];

  updateCtx(r: DStmt & { k: 'rel' }, idx: number): void {
    if (r.op !== 'eq' || r.right.k !== 'value') return;
    const left = r.left;
    if (left.k !== 'key') return;
    if ((left.proto === 'icmp' || left.proto === 'icmpv6') && left.field === 'type') {
      this.pctx.icmpType = r.right.data[0];
      this.pctx.icmpDep = idx;
    }
    const sel = selection(left, num(r.right.data.slice(0, Math.max(1, Math.ceil(left.vt.bits / 8))), left.vt.order));
    if (!sel) return;
    // meta l4proto icmp / icmpv6 makes a preceding `meta nfproto` redundant.
    if (left.meta === 'l4proto' && this.pctx.dep[1] !== undefined && ['inet', 'bridge', 'netdev'].includes(this.ctx.family)) {
      const p = sel.proto?.name;
      const nh = this.pctx.proto[1]?.name;
      if ((p === 'icmp' && nh === 'ip') || (p === 'icmpv6' && nh === 'ip6')) {
        this.out[this.pctx.dep[1]] = undefined;
        this.pctx.dep[1] = undefined;
      }
    }
    this.pctx.proto[sel.base] = sel.proto;
    // Only the 802.1Q tag is the dependency nft itself adds for `vlan`; `ether type 8021ad` stays.
    this.pctx.dep[sel.base] = sel.proto && !(sel.proto.name === 'vlan' && sel.proto && left.proto === 'ether' && r.right.data[0] !== 0x81) ? idx : undefined;
    this.depNetworkKey[sel.base] = left.base === 1;
  }
  out: (string | undefined)[] = [];

  /** Names the payload of a relational; may split a merged load into several. */
  resolveRel(st: DStmt & { k: 'rel' }): (DStmt & { k: 'rel' })[] {
    const left = st.left;
    if (left.k === 'payload') {
      const exact = exactField(this.pctx, left.base, left.offset, left.len) ?? thField(this.pctx, left);
      if (exact) return [{ ...st, left: exact }];
      if ((st.op === 'eq' || st.op === 'neq') && st.right.k === 'value') {
        const pf = prefixField(this.pctx, left.base, left.offset, left.len);
        if (pf) {
          const full = new Uint8Array(Math.ceil(pf.vt.bits / 8));
          full.set(st.right.data.slice(0, left.len / 8));
          return [{ ...st, left: pf, right: { k: 'prefix', data: full, len: left.len } }];
        }
        // A merged load of adjacent matches, sub-byte fields included; nft splits a `!=` the same way.
        const tiles = tiledFields(this.pctx, left.base, left.offset, left.len);
        if (tiles) {
          const all = num(st.right.data.slice(0, left.len / 8), 'be');
          return tiles.map((t) => {
            const shift = BigInt(left.offset + left.len - t.offset! - t.len!);
            const v = (all >> shift) & ((1n << BigInt(t.len!)) - 1n);
            return { k: 'rel', left: t, op: st.op, right: { k: 'value', data: bytes(v, Math.ceil(t.len! / 8), 'be') } };
          });
        }
      }
      return [{ ...st, left: rawKey(left.base, left.offset, left.len) }];
    }
    if (left.k === 'binop' && left.op === '&' && !left.xor) {
      let inner = left.left;
      const m = this.subField(inner, left.right);
      if (m) {
        const loadN = m.loadBits / 8;
        const n = Math.max(1, Math.ceil(m.key.vt.bits / 8));
        const sh = (d: Uint8Array) => bytes(num(d.slice(0, loadN), 'be') >> BigInt(m.shift), n, 'be');
        if (st.right.k === 'value') return [{ ...st, left: m.key, right: { k: 'value', data: sh(st.right.data) } }];
        if (st.right.k === 'range') return [{ ...st, left: m.key, right: { k: 'range', from: sh(st.right.from), to: sh(st.right.to) } }];
        if (st.right.k === 'set') return [{ ...st, left: { ...m.key, vt: { ...m.key.vt, shift: m.shift, bytes: loadN } } }];
      }
      if (inner.k === 'payload') {
        const exact = exactField(this.pctx, inner.base, inner.offset, inner.len);
        if (!exact) return [{ ...st, left: { ...left, left: rawKey(inner.base, inner.offset, inner.len) } }];
        inner = exact;
      } else inner = this.resolved(inner)!;
      const b: DExpr & { k: 'binop' } = { ...left, left: inner };
      return [this.binopRel({ ...st, left: b })];
    }
    const l = this.resolved(left)!;
    if (l.k === 'key' && st.right.k === 'value' && (st.op === 'eq' || st.op === 'neq')) {
      const n = Math.ceil(l.vt.bits / 8);
      const d = st.right.data;
      // nft reads a partly compared ct address in host byte order: `ct original ip saddr 0.0.0.10`.
      if (d.length < n && l.ct === 'addr' && l.vt.type === 'ipv4_addr') {
        const v = new Uint8Array(4);
        v.set(d, 4 - d.length);
        return [{ ...st, left: l, right: { k: 'value', data: v } }];
      }
      if (d.length < n && prefixType(l.vt.type)) {
        const full = new Uint8Array(n);
        full.set(d);
        return [{ ...st, left: l, right: { k: 'prefix', data: full, len: d.length * 8 } }];
      }
      if (d.length < n && (l.vt.type === 'ifname' || l.vt.type === 'string')) return [{ ...st, left: l, right: { k: 'value', data: d, wildcard: true } }];
    }
    return [{ ...st, left: l }];
  }

  /**
   * A read-modify-write of a sub-byte field (`@nh,0,16 set @nh,0,16 & 0xff03 | 0x80`)
   * folded back into `ip dscp set cs4`: the bits the mask clears are the field.
   */
  subWrite(target: DExpr, v: DExpr | undefined): { key: DExpr & { k: 'key' }; value: Uint8Array } | undefined {
    if (target.k !== 'payload' || v?.k !== 'binop' || (v.op !== '&' && v.op !== '^')) return undefined;
    const mask = v.mask ?? v.right;
    const xor = v.xor ?? new Uint8Array(mask.length);
    const src = v.left;
    if (src.k !== 'payload' || src.base !== target.base || src.offset !== target.offset || src.len !== target.len) return undefined;
    const n = target.len / 8;
    const inv = mask.slice(0, n).map((x) => ~x & 0xff);
    const m = this.subField(target, inv) ?? this.subBytes(target, inv);
    if (!m) return undefined;
    const val = num(xor.slice(0, n), 'be') & num(inv, 'be');
    return { key: m.key, value: bytes(val >> BigInt(m.shift), Math.max(1, Math.ceil(m.key.vt.bits / 8)), 'be') };
  }

  /** A whole-byte field the mask selects inside a wider load (`ip ttl` in a 16-bit write). */
  subBytes(p: DExpr & { k: 'payload' }, mask: Uint8Array): { key: DExpr & { k: 'key' }; shift: number } | undefined {
    let first = -1, last = -1;
    for (let i = 0; i < p.len; i++) {
      if (!((mask[i >> 3]! >> (7 - (i & 7))) & 1)) continue;
      if (first < 0) first = i;
      else if (last !== i - 1) return undefined;
      last = i;
    }
    if (first < 0) return undefined;
    const f = exactField(this.pctx, p.base, p.offset + first, last - first + 1);
    return f && { key: f, shift: p.len - 1 - last };
  }

  /** The sub-byte field a mask selects within a load (`ip dscp`, `frag more-fragments`), and how far it is shifted. */
  subField(inner: DExpr, mask: Uint8Array): { key: DExpr & { k: 'key' }; shift: number; loadBits: number } | undefined {
    if (inner.k === 'payload') {
      if (exactField(this.pctx, inner.base, inner.offset, inner.len)) return undefined;
      const m = maskedField(this.pctx, inner.base, inner.offset, inner.len, mask);
      return m && { ...m, loadBits: inner.len };
    }
    if (inner.k !== 'key' || !inner.subs) return undefined;
    const bits = inner.vt.bits;
    let first = -1, last = -1;
    for (let i = 0; i < bits; i++) {
      if (!((mask[i >> 3]! >> (7 - (i & 7))) & 1)) continue;
      if (first < 0) first = i;
      else if (last !== i - 1) return undefined;
      last = i;
    }
    const f = inner.subs.find((x) => x.offset === first && x.len === last - first + 1);
    if (!f) return undefined;
    return { key: { k: 'key', text: f.text, vt: f.vt }, shift: bits - 1 - last, loadBits: bits };
  }

  /** nft's relational_binop_postprocess: flag lists, `value / mask`, prefixes. */
  binopRel(st: DStmt & { k: 'rel' }): DStmt & { k: 'rel' } {
    const b = st.left as DExpr & { k: 'binop' };
    const vt = vtOf(b.left);
    const n = Math.max(1, Math.ceil(vt.bits / 8));
    if (st.right.k !== 'value' || (st.op !== 'eq' && st.op !== 'neq')) return st;
    const value = num(st.right.data.slice(0, n), vt.order);
    const mask = num(b.right.slice(0, n), vt.order);
    if (isBitmask(vt.type)) {
      if (value === 0n) return { k: 'rel', left: b.left, op: st.op === 'neq' ? 'implicit' : 'neg', right: { k: 'text', text: flagList(vt.type, mask) } };
      if ((mask & (mask - 1n)) !== 0n) {
        return { k: 'rel', left: b.left, op: st.op === 'neq' ? 'neq' : 'eq', right: { k: 'text', text: `${flagList(vt.type, value)} / ${flagList(vt.type, mask)}` } };
      }
      return st;
    }
    // nft reads a masked ct address in host byte order and drops the mask (`ct original ip saddr 0.0.0.10`).
    if (b.left.k === 'key' && b.left.ct === 'addr' && vt.type === 'ipv4_addr') return { k: 'rel', left: b.left, op: st.op, right: { k: 'value', data: st.right.data.slice(0, 4).reverse() } };
    if (prefixType(vt.type) || vt.type === 'mark') {
      const bits = n * 8;
      let plen = 0;
      while (plen < bits && (mask >> BigInt(bits - 1 - plen)) & 1n) plen++;
      const expect = plen === 0 ? 0n : ((1n << BigInt(plen)) - 1n) << BigInt(bits - plen);
      if (mask === expect) return { k: 'rel', left: b.left, op: st.op, right: { k: 'prefix', data: st.right.data, len: plen } };
    }
    return st;
  }
}

function isMeter(s: SetDef): boolean {
  return !!s.emptyBatch;
}

/** Milliseconds as nft prints durations (`1h30m`, `10s`, `500ms`). */
export function timeText(ms: number): string {
  let rest = ms;
  let s = '';
  for (const [u, n] of [['d', 86400000], ['h', 3600000], ['m', 60000], ['s', 1000]] as [string, number][]) {
    if (rest >= n) {
      s += `${Math.floor(rest / n)}${u}`;
      rest %= n;
    }
  }
  if (rest) s += `${rest}ms`;
  return s || '0s';
}

/** Prints one rule's instructions as nft lists the rule (without comment or handle). */
export function delinearizeRule(insns: Insn[], anonSets: SetDef[], ctx: DCtx): string {
  const r = new Rule(ctx, anonSets);
  for (const i of insns) r.insn(i);
  return r.finish();
}

export type { DCtx } from './types.js';
