// Statements on set elements (`1.2.3.4 counter packets 1 bytes 2`,
// `10.0.0.7 limit rate ...`): kept as the element's expressions (the VM runs
// them on every lookup hit), absent from the netlink debug text, listed as nft
// lists them. Every expected text is what nft 1.0.6 printed for the inline
// ruleset (`nft --debug=netlink -f`, then `nft list ruleset`, in a fresh
// network namespace), copied verbatim.
import { describe, expect, it } from 'vitest';
import { decodeBytecode, encodeBytecode, programOf } from '../../compiler/bytecode.js';
import { compileRuleset, compileToNetlink } from '../../compiler/index.js';
import { listRuleset } from '../../compiler/list.js';

const NAMED = `table ip t {
	set s {
		type ipv4_addr
		counter
		elements = { 1.2.3.4 counter packets 1 bytes 2, 5.6.7.8, 9.9.9.9 counter comment "x" }
	}
	chain c {
		ip saddr @s accept
		ip daddr { 1.2.3.4 counter, 5.6.7.8 } accept
	}
}
`;
const NAMED_NETLINK = `ip (null) (null) use 0
s t 0
s t 0
	element 04030201  : 0 [end]	element 08070605  : 0 [end]	element 09090909  : 0 [end]  userdata = { \\x00\\x02x\\x00 }
ip t c
  [ payload load 4b @ network header + 12 => reg 1 ]
  [ lookup reg 1 set s ]
  [ immediate reg 0 accept ]

__set%d t 3 size 2
__set%d t 0
	element 04030201  : 0 [end]	element 08070605  : 0 [end]
ip t c
  [ payload load 4b @ network header + 16 => reg 1 ]
  [ lookup reg 1 set __set%d ]
  [ immediate reg 0 accept ]

`;
const NAMED_LIST = `table ip t {
	set s {
		type ipv4_addr
		counter
		elements = { 1.2.3.4 counter packets 1 bytes 2, 5.6.7.8 counter packets 0 bytes 0,
			     9.9.9.9 counter packets 0 bytes 0 comment "x" }
	}

	chain c {
		ip saddr @s accept
		ip daddr { 1.2.3.4 counter packets 0 bytes 0, 5.6.7.8 } accept
	}
}
`;

const LIMIT = `table ip t {
	chain c {
		type filter hook input priority filter; policy accept;
		ip saddr { 10.0.0.7 limit rate over 1/minute burst 1 packets, 10.0.0.8 } drop
	}
}
`;
const LIMIT_NETLINK = `ip (null) (null) use 0 type filter hook input prio 0 packets 0 bytes 0
__set%d t 3 size 2
__set%d t 0
	element 0700000a  : 0 [end]	element 0800000a  : 0 [end]
ip t c
  [ payload load 4b @ network header + 12 => reg 1 ]
  [ lookup reg 1 set __set%d ]
  [ immediate reg 0 drop ]

`;

const ADD = `table ip t {
	set s {
		type ipv4_addr
		counter
	}
	chain c {
		ip saddr { 10.0.0.1 limit rate 10/second } accept
	}
}
add element ip t s { 7.7.7.7 counter packets 3 bytes 4, 8.8.8.8 }
`;
const ADD_LIST = `table ip t {
	set s {
		type ipv4_addr
		counter
		elements = { 7.7.7.7 counter packets 3 bytes 4, 8.8.8.8 counter packets 0 bytes 0 }
	}

	chain c {
		ip saddr 10.0.0.1 accept
	}
}
`;

function compiled(text: string) {
  const r = compileRuleset({ name: 'x.nft', text });
  expect(r.diagnostics).toEqual([]);
  return r;
}

describe('element statements', () => {
  it('named set with counter: the netlink text has no expressions, the listing has every element\'s counter', () => {
    const r = compileToNetlink('x.nft', NAMED);
    expect(r.errors).toBe('');
    expect(r.out).toBe(NAMED_NETLINK);
    expect(listRuleset(compiled(NAMED))).toBe(NAMED_LIST);
  });

  it('the image carries them: the element\'s own counter, the declaration\'s for the others, an anonymous set\'s as written', () => {
    const prog = programOf(compiled(NAMED));
    for (const p of [prog, decodeBytecode(encodeBytecode(prog))]) {
      const s = p.sets.find((x) => x.name === 's')!;
      expect(s.elements.map((e) => e.exprs)).toEqual([
        [{ op: 'counter', pkts: 1n, bytes: 2n }],
        [{ op: 'counter', pkts: 0n, bytes: 0n }],
        [{ op: 'counter', pkts: 0n, bytes: 0n }],
      ]);
      const anon = p.sets.find((x) => x.name !== 's')!;
      expect(anon.elements.map((e) => e.exprs)).toEqual([[{ op: 'counter', pkts: 0n, bytes: 0n }], undefined]);
    }
  });

  it('a limit on an anonymous set\'s element', () => {
    const r = compileToNetlink('d.nft', LIMIT);
    expect(r.out).toBe(LIMIT_NETLINK);
    const c = compiled(LIMIT);
    expect(listRuleset(c)).toBe(LIMIT);
    const anon = programOf(c).sets[0]!;
    expect(anon.elements[0]!.exprs).toEqual([{ op: 'limit', rate: 1n, unit: 60, burst: 1n, bytes: false, flags: 1 }]);
    expect(anon.elements[1]!.exprs).toBeUndefined();
  });

  it('add element: counters of a set declared with counter', () => {
    expect(listRuleset(compiled(ADD))).toBe(ADD_LIST);
  });
});

describe('element statements nft refuses', () => {
  const set = (decl: string, elems: string) => `table ip t {\n\tset s {\n\t\ttype ipv4_addr\n${decl}\t\telements = { ${elems} }\n\t}\n\tchain c {\n\t\tip saddr @s accept\n\t}\n}\n`;
  // [declaration lines, elements, nft's first error (its first three lines)]
  const CASES: [string, string, string][] = [
    // (an empty line where the declaration's statements would be, as in the file nft read)
    ['\n', '1.2.3.4 counter', `y.nft:5:24-30: Error: missing statement in set declaration
		elements = { 1.2.3.4 counter }
		                     ^^^^^^^`],
    ['\n', '1.2.3.4 counter limit rate 1/second', `y.nft:5:24-30: Error: missing statement in set declaration
		elements = { 1.2.3.4 counter limit rate 1/second }
		                     ^^^^^^^`],
    ['\t\tcounter\n', '1.2.3.4 limit rate 1/second', `y.nft:5:24-42: Error: statement mismatch, element expects limit, but set has type counter
		elements = { 1.2.3.4 limit rate 1/second }
		                     ^^^^^^^^^^^^^^^^^^^`],
    ['\t\tcounter\n', '1.2.3.4 counter limit rate 1/second', `y.nft:5:16-22: Error: number of statements mismatch, set expects 1 but element has 2
		elements = { 1.2.3.4 counter limit rate 1/second }
		             ^^^^^^^`],
    ['\t\tcounter\n', '1.2.3.4 counter counter', `y.nft:5:16-22: Error: number of statements mismatch, set expects 1 but element has 2
		elements = { 1.2.3.4 counter counter }
		             ^^^^^^^`],
    // nft 1.0.6 has no quota on elements, and the statements come before timeout / comment.
    ['\t\tcounter\n', '1.2.3.4 quota 5 bytes', `y.nft:5:24-28: Error: syntax error, unexpected quota, expecting comma or '}'
		elements = { 1.2.3.4 quota 5 bytes }
		                     ^^^^^`],
    ['\t\tcounter\n', '1.2.3.4 timeout 1s counter', `y.nft:5:35-41: Error: syntax error, unexpected counter, expecting comma or '}'
		elements = { 1.2.3.4 timeout 1s counter }
		                                ^^^^^^^`],
    ['\t\tcounter\n', '1.2.3.4 comment "x" counter', `y.nft:5:36-42: Error: syntax error, unexpected counter, expecting comma or '}'
		elements = { 1.2.3.4 comment "x" counter }
		                                 ^^^^^^^`],
  ];
  it.each(CASES)('%j %s', (decl, elems, want) => {
    const r = compileToNetlink('y.nft', set(decl, elems));
    expect(r.ok).toBe(false);
    expect(r.errors.split('\n').slice(0, 3).join('\n')).toBe(want);
  });
});
