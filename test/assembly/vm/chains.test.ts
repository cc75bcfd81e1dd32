// Chain semantics of nft_do_chain and nf_hook_slow: jump/goto/return, end
// of chain, policy, priorities across tables, inet on both families, and
// trace events as the kernel emits them (reference §6.3).
import { describe, expect, it } from 'vitest';
import * as abi from '../../../assembly/abi.js';
import { ACCEPT, DROP, engine, ipv4, ipv6, rx, tcp, tx, udp, verdicts } from './helpers.js';

const T = abi.TraceType;

describe('jump, goto, return', () => {
  it('base jump A, A goto B, end of B resumes after the jump in base', async () => {
    const rs = `table ip t {
 chain a {
  goto b
 }
 chain b {
  meta mark set 1
 }
 chain c { type filter hook input priority 0; policy accept;
  jump a
  meta mark 1 drop
 }
}`;
    expect(await verdicts(rs, [rx(ipv4())])).toEqual([DROP]);
  });
  it('goto from base: end of the target with an empty stack is the base policy', async () => {
    const rs = `table ip t {
 chain b {
  meta mark set 1
 }
 chain c { type filter hook input priority 0; policy drop;
  goto b
  accept
 }
}`;
    const e = await engine();
    e.load(rs);
    const r = e.evaluate([rx(ipv4())]);
    expect(r.verdict(0)).toBe(DROP);
    expect(r.rule(0)).toBe(0);
    expect(e.chainName(r.chain(0))).toBe('c');
  });
  it('return pops; return in the base chain is the policy; accept in a called chain ends the base chain', async () => {
    const rs = `table ip t {
 chain sub {
  tcp dport 22 return
  tcp dport 23 accept
 }
 chain c { type filter hook input priority 0; policy accept;
  jump sub
  tcp dport 22 drop
  return
  drop
 }
}`;
    expect(await verdicts(rs, [rx(ipv4({ l4: tcp({ dport: 22 }) })), rx(ipv4({ l4: tcp({ dport: 23 }) })), rx(ipv4({ l4: tcp({ dport: 24 }) }))])).toEqual([DROP, ACCEPT, ACCEPT]);
  });
  it('a chain 15 jumps deep runs', async () => {
    const chains = Array.from({ length: 15 }, (_, i) => ` chain c${i + 1} {\n  ${i < 14 ? `jump c${i + 2}` : 'drop'}\n }`).join('\n');
    const rs = `table ip t {\n${chains}\n chain base { type filter hook input priority 0;\n  jump c1\n }\n}`;
    expect(await verdicts(rs, [rx(ipv4())])).toEqual([DROP]);
  });
});

describe('base chains of one hook', () => {
  it('priority order across tables; accept only ends its chain, drop is final', async () => {
    const rs = `table ip a {
 chain late { type filter hook input priority 10; policy accept;
  meta mark 0 drop
 }
}
table ip b {
 chain early { type filter hook input priority -10; policy accept;
  tcp dport 22 meta mark set 1 accept
 }
}`;
    const e = await engine();
    e.load(rs);
    const r = e.evaluate([rx(ipv4({ l4: tcp({ dport: 22 }) })), rx(ipv4({ l4: tcp({ dport: 80 }) }))]);
    expect([r.verdict(0), r.verdict(1)]).toEqual([ACCEPT, DROP]);
    expect(e.chainName(r.chain(1))).toBe('late');
  });
  it('equal priority: the later-registered chain runs first (third, second, first)', async () => {
    const rs = `table ip t {
 chain first { type filter hook input priority 0;
  meta mark set 1
 }
 chain second { type filter hook input priority 0;
  meta mark set 2
 }
}
table ip u {
 chain third { type filter hook input priority 0;
  meta mark set 3
 }
}`;
    const e = await engine();
    e.load(rs);
    expect(e.evaluate([rx(ipv4())]).mark(0)).toBe(1);
  });
  it('inet chains see IPv4 and IPv6; ip chains only IPv4; forward and output paths', async () => {
    const rs = `table inet t {
 chain i { type filter hook input priority 0;
  meta nfproto ipv6 drop
 }
 chain f { type filter hook forward priority 0;
  drop
 }
 chain o { type filter hook postrouting priority 0;
  oifname "eth1" meta mark set 7
 }
}`;
    const e = await engine();
    e.load(rs);
    const r = e.evaluate([rx(ipv4()), rx(ipv6()), rx(ipv4({ dst: '8.8.8.8' })), tx(ipv4({ src: '10.0.0.1', dst: '8.8.4.4' }))]);
    expect([0, 1, 2, 3].map((i) => r.verdict(i))).toEqual([ACCEPT, DROP, DROP, ACCEPT]);
    expect(r.hook(2)).toBe(abi.InetHook.Forward);
    expect(r.mark(3)).toBe(7);
  });
  it('netdev ingress on its device runs before prerouting', async () => {
    const rs = `table netdev n {
 chain in { type filter hook ingress device "eth0" priority 0;
  ip saddr 10.0.0.66 drop
 }
}
table ip t {
 chain p { type filter hook prerouting priority 0;
  meta mark set 5
 }
}`;
    const e = await engine();
    e.load(rs);
    const r = e.evaluate([rx(ipv4({ src: '10.0.0.66' })), rx(ipv4({ src: '10.0.0.67' })), rx(ipv4({ src: '10.0.0.66', dst: '192.168.1.1' }), { iif: 3 })]);
    expect([0, 1, 2].map((i) => r.verdict(i))).toEqual([DROP, ACCEPT, ACCEPT]);
    expect(r.hook(0)).toBe(abi.InetHook.Ingress);
    expect(r.mark(1)).toBe(5);
  });
});

describe('trace events', () => {
  it('ruleset B of the reference: RULE events, nothing on BREAK, nothing for the end of sub', async () => {
    const rs = `table ip t {
 chain sub {
  counter
 }
 chain in { type filter hook input priority 0; policy accept;
  udp dport 7777 meta mark set 0x2a
  udp dport 7777 jump sub
  udp dport 7777 continue
  udp dport 1 accept
  udp dport 7777 counter drop
 }
}`;
    const e = await engine();
    e.load(rs);
    const r = e.evaluate([rx(ipv4({ l4: udp({ dport: 7777 }) }))], { trace: 'all' });
    const ev = r.records().filter((x) => x.kind === abi.RecordKind.Trace).map((x) => [x.sub, e.chainName(x.chain), x.rule, x.a | 0]);
    const h = e.program!.rules.map((x) => x.handle);
    expect(ev).toEqual([
      [T.Rule, 'in', h[1], abi.Verdict.Continue],
      [T.Rule, 'in', h[2], abi.Verdict.Jump],
      [T.Rule, 'sub', h[0], abi.Verdict.Continue],
      [T.Return, 'sub', 0, abi.Verdict.Continue],
      [T.Rule, 'in', h[3], abi.Verdict.Continue],
      [T.Rule, 'in', h[5], abi.Verdict.Drop],
    ]);
  });
  it('policy event, and nftrace mode traces only after meta nftrace set 1', async () => {
    const rs = `table ip t {
 chain in { type filter hook input priority 0; policy drop;
  tcp dport 22 meta nftrace set 1
  counter
 }
}`;
    const e = await engine();
    e.load(rs);
    const r = e.evaluate([rx(ipv4({ l4: tcp({ dport: 22 }) })), rx(ipv4({ l4: tcp({ dport: 23 }) }))], { trace: 'nftrace' });
    const ev = r.records().map((x) => [x.packet, x.sub, x.rule]);
    const h = e.program!.rules.map((x) => x.handle);
    expect(ev).toEqual([[0, T.Rule, h[0]], [0, T.Rule, h[1]], [0, T.Policy, 0]]);
  });
});
