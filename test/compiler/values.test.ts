// Literal values, declaration lines and syntax details checked against
// nft 1.0.6: every expected text below is what `nft --debug=netlink -f`
// (or `nft -c -f`) printed for the inline ruleset, copied verbatim
// (recorded with TZ=UTC in a fresh network namespace).
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileToNetlink } from '../../compiler/index.js';
import { main } from '../../src/cli/main.js';

/** nft's stdout for each ruleset (the kernel refused the flowtables of the last one, after printing). */
const CASES: [string, string, string][] = [
  [
    "leading zero is octal, 0X is hex, quoted numbers too",
    `table ip t {
	chain c {
		type filter hook input priority 010; policy accept;
		meta mark 010
		meta mark 0X1F
		ct mark 017
		tcp dport 0022
		tcp dport "0022"
		tcp dport "0x16"
		meta mark "010"
		ip ttl 00
		tcp dport 08
		ip saddr 010.0.0.1
	}
}
`,
    `ip (null) (null) use 0 type filter hook input prio 8 packets 0 bytes 0
ip t c
  [ meta load mark => reg 1 ]
  [ cmp eq reg 1 0x00000008 ]

ip t c
  [ meta load mark => reg 1 ]
  [ cmp eq reg 1 0x0000001f ]

ip t c
  [ ct load mark => reg 1 ]
  [ cmp eq reg 1 0x0000000f ]

ip t c
  [ meta load l4proto => reg 1 ]
  [ cmp eq reg 1 0x00000006 ]
  [ payload load 2b @ transport header + 2 => reg 1 ]
  [ cmp eq reg 1 0x00001200 ]

ip t c
  [ meta load l4proto => reg 1 ]
  [ cmp eq reg 1 0x00000006 ]
  [ payload load 2b @ transport header + 2 => reg 1 ]
  [ cmp eq reg 1 0x00001200 ]

ip t c
  [ meta load l4proto => reg 1 ]
  [ cmp eq reg 1 0x00000006 ]
  [ payload load 2b @ transport header + 2 => reg 1 ]
  [ cmp eq reg 1 0x00001600 ]

ip t c
  [ meta load mark => reg 1 ]
  [ cmp eq reg 1 0x00000008 ]

ip t c
  [ payload load 1b @ network header + 8 => reg 1 ]
  [ cmp eq reg 1 0x00000000 ]

ip t c
  [ meta load l4proto => reg 1 ]
  [ cmp eq reg 1 0x00000006 ]
  [ payload load 2b @ transport header + 2 => reg 1 ]
  [ cmp eq reg 1 0x00000800 ]

ip t c
  [ payload load 4b @ network header + 12 => reg 1 ]
  [ cmp eq reg 1 0x01000008 ]

`,
  ],
  [
    "wrapping meta hour and meta day ranges",
    `table ip t {
	chain c {
		meta hour "22:00"-"06:00" drop
		meta hour != "22:00"-"06:00" drop
		meta hour "10:00"-"10:00" drop
		meta day "Tuesday"-"Sunday" drop
	}
}
`,
    `ip (null) (null) use 0
ip t c
  [ meta load hour => reg 1 ]
  [ byteorder reg 1 = hton(reg 1, 4, 4) ]
  [ range neq reg 1 0x60540000 0x60350100 ]
  [ immediate reg 0 drop ]

ip t c
  [ meta load hour => reg 1 ]
  [ byteorder reg 1 = hton(reg 1, 4, 4) ]
  [ cmp gte reg 1 0x60540000 ]
  [ cmp lte reg 1 0x60350100 ]
  [ immediate reg 0 drop ]

ip t c
  [ meta load hour => reg 1 ]
  [ byteorder reg 1 = hton(reg 1, 4, 4) ]
  [ cmp gte reg 1 0xa08c0000 ]
  [ cmp lte reg 1 0xa08c0000 ]
  [ immediate reg 0 drop ]

ip t c
  [ meta load day => reg 1 ]
  [ range neq reg 1 0x00000000 0x00000002 ]
  [ immediate reg 0 drop ]

`,
  ],
  [
    "set declaration lines: constant sets, policy before size",
    `table ip t {
	set a { type ipv4_addr; flags constant; size 128; policy memory; elements = { 1.1.1.1, 2.2.2.2 } }
	set b { type ipv4_addr; flags constant,interval; elements = { 1.1.1.0/24, 1.1.2.0/24, 3.3.3.3 } }
	set c { type ipv4_addr; flags constant; }
	set d { type ipv4_addr; policy memory; size 10; elements = { 1.1.1.1 } }
	set e { type ipv4_addr; policy performance; }
}
`,
    `a t 2 size 2
a t 0
	element 01010101  : 0 [end]	element 02020202  : 0 [end]
b t 6 size 7
b t 0
	element 00000000  : 1 [end]	element 00010101  : 0 [end]	element 00020101  : 1 [end]	element 00020101  : 0 [end]	element 00030101  : 1 [end]	element 03030303  : 0 [end]	element 04030303  : 1 [end]
c t 2
d t 0 policy 1 size 10
d t 0
	element 01010101  : 0 [end]
e t 0
`,
  ],
  [
    "comment userdata: printable bytes raw, including the length byte",
    `table ip t {
	chain c {
		accept comment "$x"
		accept comment "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		accept comment "tab	here"
		accept comment "ü"
		ip saddr { 1.1.1.1 comment "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 2.2.2.2 } accept
	}
}
`,
    `ip (null) (null) use 0
ip t c
  [ immediate reg 0 accept ]
  userdata = { \\x00\\x03$x\\x00 }
ip t c
  [ immediate reg 0 accept ]
  userdata = { \\x00$aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\\x00 }
ip t c
  [ immediate reg 0 accept ]
  userdata = { \\x00\\x09tab\\x09here\\x00 }
ip t c
  [ immediate reg 0 accept ]
  userdata = { \\x00\\x03\\xc3\\xbc\\x00 }
__set%d t 3 size 2
__set%d t 0
	element 01010101  : 0 [end]  userdata = { \\x00eaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\\x00 }	element 02020202  : 0 [end]
ip t c
  [ payload load 4b @ network header + 12 => reg 1 ]
  [ lookup reg 1 set __set%d ]
  [ immediate reg 0 accept ]

`,
  ],
  [
    "flowtables and multi-device chains",
    `table netdev n {
	flowtable f2 {
		hook ingress priority filter - 5; devices = { lo, dummy0, eth1 };
		flags offload
		counter
	}
	chain c { type filter hook ingress devices = { lo, dummy0 } priority 0; }
	chain d { type filter hook ingress devices = { lo } priority 0; }
}
table inet t {
	flowtable f {
		hook ingress priority 0; devices = { lo };
	}
	counter cnt { }
	set s { type ipv4_addr; }
	chain c {
		type filter hook forward priority 0; policy accept;
		meta l4proto tcp flow add @f
	}
}
add flowtable inet t g { hook ingress priority 10; devices = { "lo" }; }
`,
    `netdev (null) (null) use 0 type filter hook ingress prio 0 packets 0 bytes 0 dev {  dummy0  lo  } 
netdev (null) (null) use 0 type filter hook ingress prio 0 packets 0 bytes 0 dev lo 
flow table (null) (null) use 0 size 0 flags 3 hook ingress prio -5  dev {  eth1  dummy0  lo  } 
inet (null) (null) use 0 type filter hook forward prio 0 packets 0 bytes 0
table (null) name (null) use 0 [ counter pkts 0 bytes 0 ]
s t 0
flow table (null) (null) use 0 size 0 flags 0 hook prerouting prio 0  dev {  lo  } 
inet t c
  [ meta load l4proto => reg 1 ]
  [ cmp eq reg 1 0x00000006 ]
  [ flow_offload flowtable f ]

flow table (null) (null) use 0 size 0 flags 0 hook prerouting prio 10  dev {  lo  } 
`,
  ],
];

describe('values and declarations as nft 1.0.6 prints them', () => {
  for (const [title, src, expected] of CASES) {
    it(title, () => {
      const r = compileToNetlink('t.nft', src);
      expect(r.errors).toBe('');
      expect(r.out).toBe(expected);
    });
  }

  it('a bad octal number is a string: no packet mark, but a decimal port', () => {
    const r = compileToNetlink('e.nft', 'table ip t {\n\tchain c {\n\t\tmeta mark 08\n\t\tmeta mark 019\n\t}\n}\n');
    expect(r.errors).toBe(
      'e.nft:3:13-14: Error: Could not parse packet mark\n\t\tmeta mark 08\n\t\t          ^^\n' +
        'e.nft:4:13-15: Error: Could not parse packet mark\n\t\tmeta mark 019\n\t\t          ^^^\n',
    );
  });

  it('a missing ct helper object: bytecode printed, then the kernel refuses', () => {
    const r = compileToNetlink('k.nft', 'table ip t {\n\tchain c {\n\t\tudp dport 69 ct helper set "nope"\n\t}\n}\n');
    expect(r.ok).toBe(false);
    expect(r.out).toBe(
      'ip (null) (null) use 0\nip t c\n  [ meta load l4proto => reg 1 ]\n  [ cmp eq reg 1 0x00000011 ]\n' +
        '  [ payload load 2b @ transport header + 2 => reg 1 ]\n  [ cmp eq reg 1 0x00004500 ]\n  [ objref type 3 name nope ]\n\n',
    );
    expect(r.errors).toBe('k.nft:3:30-35: Error: Could not process rule: No such file or directory\n\t\tudp dport 69 ct helper set "nope"\n\t\t                           ^^^^^^\n');
  });

  it('a chain line needs a newline or semicolon before the closing brace', () => {
    const r = compileToNetlink('p.nft', 'table ip t {\n\tchain c { type filter hook input priority 0; policy drop }\n}\n');
    expect(r.errors.split('\n').slice(0, 3).join('\n')).toBe(
      "p.nft:2:59-59: Error: syntax error, unexpected '}', expecting newline or semicolon\n" +
        '\tchain c { type filter hook input priority 0; policy drop }\n' +
        '\t                                                         ^',
    );
  });
});

describe('include patterns', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nftvm-values-'));
  mkdirSync(join(dir, 'd'));
  mkdirSync(join(dir, 'd', 'sub.nft'));
  writeFileSync(join(dir, 'd', 'b.nft'), 'add rule ip t c tcp dport 2 accept\n');
  writeFileSync(join(dir, 'd', 'a.nft'), 'add rule ip t c tcp dport 1 accept\n');
  writeFileSync(join(dir, 'd', '.hidden.nft'), 'add rule ip t c tcp dport 9 accept\n');
  writeFileSync(join(dir, 'bad.nft'), 'add rule ip t c tcp dport 99999 accept\n');
  const head = 'table ip t {\n chain c { type filter hook input priority 0; }\n}\n';
  const run = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    let out = '';
    let err = '';
    const code = main(['compile', join(dir, name)], (s) => (out += s), (s) => (err += s));
    return { code, out, err };
  };
  const rule = (port: string) =>
    `ip t c\n  [ meta load l4proto => reg 1 ]\n  [ cmp eq reg 1 0x00000006 ]\n  [ payload load 2b @ transport header + 2 => reg 1 ]\n  [ cmp eq reg 1 0x${port} ]\n  [ immediate reg 0 accept ]\n\n`;

  it('includes matching files in alphabetical order; no match is no error', () => {
    const r = run('m.nft', head + 'include "./d/*.nft"\ninclude "./nomatch/*.nft"\n');
    expect(r.err).toBe('');
    expect(r.out).toBe('ip (null) (null) use 0 type filter hook input prio 0 packets 0 bytes 0\n' + rule('00000100') + rule('00000200'));
  });

  it('an error in an included file names the include', () => {
    const r = run('n.nft', head + 'include "./bad.nft" ;\n');
    expect(r.code).toBe(1);
    expect(r.err.split('\n').slice(0, 2).join('\n')).toBe(
      `In file included from ${join(dir, 'n.nft')}:4:1-21:\n./bad.nft:1:27-31: Error: Service out of range`,
    );
  });
});
