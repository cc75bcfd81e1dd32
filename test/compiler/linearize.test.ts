// Linearization cases checked against nft 1.0.6 (`nft --debug=netlink -f`
// in a fresh network namespace): each ruleset's expected text is nft's
// output, byte for byte; each error case nft's first error line.
import { describe, expect, it } from 'vitest';
import { compileToNetlink } from '../../compiler/index.js';

function compile(text: string): string {
  const r = compileToNetlink('x.nft', text + '\n');
  return r.ok ? r.out : 'ERROR ' + r.errors;
}

describe('linearization matches nft 1.0.6', () => {
  it("typeof map data keeps the field width, big-endian (vlan id, vlan pcp)", () => {
    expect(compile(`table bridge t {
  map m { typeof ether saddr : vlan id; elements = { 00:11:22:33:44:55 : 10 } }
  map p { typeof ether saddr : vlan pcp; elements = { 00:11:22:33:44:55 : 3 } }
}`)).toBe(`m t 8
m t 0
	element 33221100 00005544  : 00000a00 0 [end]
p t 8
p t 0
	element 33221100 00005544  : 00000003 0 [end]
`);
  });
  it("typeof map data: ip dscp, ip ecn, ip ttl, ip6 flowlabel, tcp dport, ct zone (host order)", () => {
    expect(compile(`table inet t {
  map a { typeof ip saddr : ip dscp; elements = { 10.0.0.1 : 8 } }
  map b { typeof ip saddr : ip ecn; elements = { 10.0.0.1 : 2 } }
  map c { typeof ip saddr : ip ttl; elements = { 10.0.0.1 : 64 } }
  map d { typeof ip saddr : ip6 flowlabel; elements = { 10.0.0.1 : 0x12345 } }
  map e { typeof ip saddr : tcp dport; elements = { 10.0.0.1 : 22 } }
  map f { typeof ip saddr : ct zone; elements = { 10.0.0.1 : 5 } }
}`)).toBe(`a t 8
a t 0
	element 0100000a  : 00000008 0 [end]
b t 8
b t 0
	element 0100000a  : 00000002 0 [end]
c t 8
c t 0
	element 0100000a  : 00000040 0 [end]
d t 8
d t 0
	element 0100000a  : 00452301 0 [end]
e t 8
e t 0
	element 0100000a  : 00001600 0 [end]
f t 8
f t 0
	element 0100000a  : 00000005 0 [end]
`);
  });
  it("type map data: inet_service and ether_addr are not padded to 32 bits first", () => {
    expect(compile(`table inet t {
  map a { type ipv4_addr : inet_service; elements = { 10.0.0.1 : 22 } }
  map b { type ipv4_addr : ether_addr; elements = { 10.0.0.1 : 00:11:22:33:44:55 } }
  map c { type ipv4_addr : dscp; elements = { 10.0.0.1 : cs1 } }
}`)).toBe(`a t 8
a t 0
	element 0100000a  : 00001600 0 [end]
b t 8
b t 0
	element 0100000a  : 33221100 00005544 0 [end]
c t 8
c t 0
	element 0100000a  : 00000008 0 [end]
`);
  });
  it("interval concat keys convert host-order parts (4-byte and 1-byte)", () => {
    expect(compile(`table ip t {
  map m { typeof ip daddr . meta l4proto . th dport . ip saddr : verdict; flags interval; elements = { 10.0.0.1 . tcp . 443 . 10.0.0.0/8 : accept } }
  set s { typeof ct mark . meta length . meta skuid . iif; flags interval; elements = { 1 . 100-200 . 1000 . "lo" } }
  chain c {
    ip daddr . meta l4proto . th dport . ip saddr vmap @m
    ct mark . meta length . meta skuid . iif @s
    meta l4proto . tcp dport { tcp . 22-25 }
    ct zone . ip saddr { 1-2 . 1.1.1.1 }
  }
}`)).toBe(`ip (null) (null) use 0
m t 8c
m t 0
	element 0100000a 00000006 0000bb01 0000000a  - 0100000a 00000006 0000bb01 ffffff0a  : accept 0 [end]
s t 84
s t 0
	element 01000000 64000000 e8030000 01000000  - 01000000 c8000000 e8030000 01000000  : 0 [end]
ip t c
  [ payload load 4b @ network header + 16 => reg 1 ]
  [ meta load l4proto => reg 9 ]
  [ byteorder reg 9 = hton(reg 9, 2, 1) ]
  [ payload load 2b @ transport header + 2 => reg 10 ]
  [ payload load 4b @ network header + 12 => reg 11 ]
  [ lookup reg 1 set m dreg 0 ]

ip t c
  [ ct load mark => reg 1 ]
  [ byteorder reg 1 = hton(reg 1, 4, 4) ]
  [ meta load len => reg 9 ]
  [ byteorder reg 9 = hton(reg 9, 4, 4) ]
  [ meta load skuid => reg 10 ]
  [ byteorder reg 10 = hton(reg 10, 4, 4) ]
  [ meta load iif => reg 11 ]
  [ byteorder reg 11 = hton(reg 11, 4, 4) ]
  [ lookup reg 1 set s ]

__set%d t 87 size 1
__set%d t 0
	element 00000006 00001600  - 00000006 00001900  : 0 [end]
ip t c
  [ meta load l4proto => reg 1 ]
  [ cmp eq reg 1 0x00000006 ]
  [ meta load l4proto => reg 1 ]
  [ byteorder reg 1 = hton(reg 1, 2, 1) ]
  [ payload load 2b @ transport header + 2 => reg 9 ]
  [ lookup reg 1 set __set%d ]

__set%d t 87 size 1
__set%d t 0
	element 00000100 01010101  - 00000200 01010101  : 0 [end]
ip t c
  [ ct load zone => reg 1 ]
  [ byteorder reg 1 = hton(reg 1, 2, 2) ]
  [ payload load 4b @ network header + 12 => reg 9 ]
  [ lookup reg 1 set __set%d ]

`);
  });
  it("no conversion without intervals, nor for a lone 1-byte key", () => {
    expect(compile(`table ip t {
  set s { typeof meta mark . ip saddr; elements = { 1 . 10.0.0.1 } }
  set l { typeof meta l4proto; flags interval; elements = { 6-17 } }
  chain c {
    meta mark . ip saddr @s
    meta l4proto @l
    meta mark . ip saddr { 1 . 1.1.1.1 }
  }
}`)).toBe(`ip (null) (null) use 0
s t 0
s t 0
	element 00000001 0100000a  : 0 [end]
l t 4
l t 0
	element 00000000  : 1 [end]	element 00000006  : 0 [end]	element 00000012  : 1 [end]
ip t c
  [ meta load mark => reg 1 ]
  [ payload load 4b @ network header + 12 => reg 9 ]
  [ lookup reg 1 set s ]

ip t c
  [ meta load l4proto => reg 1 ]
  [ lookup reg 1 set l ]

__set%d t 3 size 1
__set%d t 0
	element 00000001 01010101  : 0 [end]
ip t c
  [ meta load mark => reg 1 ]
  [ payload load 4b @ network header + 12 => reg 9 ]
  [ lookup reg 1 set __set%d ]

`);
  });
  it("sub-byte fields: named sets and maps shift the register, anonymous sets shift the constants", () => {
    expect(compile(`table ip t {
  set s { typeof ip dscp; elements = { 46 } }
  set v { typeof ip version; elements = { 4 } }
  map m { typeof ip dscp : verdict; elements = { 46 : accept } }
  chain c {
    ip dscp @s
    ip dscp != @s
    ip version @v
    ip dscp vmap @m
    ip dscp { 46, 10 }
    ip dscp vmap { 46 : accept, 10 : drop }
    ip dscp { 10-20, 30 }
  }
}`)).toBe(`ip (null) (null) use 0
s t 0
s t 0
	element 0000002e  : 0 [end]
v t 0
v t 0
	element 00000004  : 0 [end]
m t 8
m t 0
	element 0000002e  : accept 0 [end]
ip t c
  [ payload load 1b @ network header + 1 => reg 1 ]
  [ bitwise reg 1 = ( reg 1 & 0x000000fc ) ^ 0x00000000 ]
  [ bitwise reg 1 = ( reg 1 >> 0x00000002 ) ]
  [ lookup reg 1 set s ]

ip t c
  [ payload load 1b @ network header + 1 => reg 1 ]
  [ bitwise reg 1 = ( reg 1 & 0x000000fc ) ^ 0x00000000 ]
  [ bitwise reg 1 = ( reg 1 >> 0x00000002 ) ]
  [ lookup reg 1 set s 0x1 ]

ip t c
  [ payload load 1b @ network header + 0 => reg 1 ]
  [ bitwise reg 1 = ( reg 1 & 0x000000f0 ) ^ 0x00000000 ]
  [ bitwise reg 1 = ( reg 1 >> 0x00000004 ) ]
  [ lookup reg 1 set v ]

ip t c
  [ payload load 1b @ network header + 1 => reg 1 ]
  [ bitwise reg 1 = ( reg 1 & 0x000000fc ) ^ 0x00000000 ]
  [ bitwise reg 1 = ( reg 1 >> 0x00000002 ) ]
  [ lookup reg 1 set m dreg 0 ]

__set%d t 3 size 2
__set%d t 0
	element 000000b8  : 0 [end]	element 00000028  : 0 [end]
ip t c
  [ payload load 1b @ network header + 1 => reg 1 ]
  [ bitwise reg 1 = ( reg 1 & 0x000000fc ) ^ 0x00000000 ]
  [ lookup reg 1 set __set%d ]

__map%d t b size 2
__map%d t 0
	element 000000b8  : accept 0 [end]	element 00000028  : drop 0 [end]
ip t c
  [ payload load 1b @ network header + 1 => reg 1 ]
  [ bitwise reg 1 = ( reg 1 & 0x000000fc ) ^ 0x00000000 ]
  [ lookup reg 1 set __map%d dreg 0 ]

__set%d t 7 size 5
__set%d t 0
	element 00000000  : 1 [end]	element 00000028  : 0 [end]	element 00000051  : 1 [end]	element 00000078  : 0 [end]	element 00000079  : 1 [end]
ip t c
  [ payload load 1b @ network header + 1 => reg 1 ]
  [ bitwise reg 1 = ( reg 1 & 0x000000fc ) ^ 0x00000000 ]
  [ lookup reg 1 set __set%d ]

`);
  });
  it("sub-byte fields in concatenations and set updates are shifted in the register", () => {
    expect(compile(`table ip t {
  set d { typeof ip dscp; flags dynamic; }
  chain c {
    ip dscp . ip ecn { 10 . 1, 20 . 2 }
    ip dscp . ip saddr vmap { 10 . 1.1.1.1 : accept }
    ip dscp . ip saddr { 10-20 . 1.1.1.0/24 }
    add @d { ip dscp }
    meter m { ip dscp counter }
  }
}`)).toBe(`ip (null) (null) use 0
d t 20
__set%d t 3 size 2
__set%d t 0
	element 0000000a 00000001  : 0 [end]	element 00000014 00000002  : 0 [end]
ip t c
  [ payload load 1b @ network header + 1 => reg 1 ]
  [ bitwise reg 1 = ( reg 1 & 0x000000fc ) ^ 0x00000000 ]
  [ bitwise reg 1 = ( reg 1 >> 0x00000002 ) ]
  [ payload load 1b @ network header + 1 => reg 9 ]
  [ bitwise reg 9 = ( reg 9 & 0x00000003 ) ^ 0x00000000 ]
  [ lookup reg 1 set __set%d ]

__map%d t b size 1
__map%d t 0
	element 0000000a 01010101  : accept 0 [end]
ip t c
  [ payload load 1b @ network header + 1 => reg 1 ]
  [ bitwise reg 1 = ( reg 1 & 0x000000fc ) ^ 0x00000000 ]
  [ bitwise reg 1 = ( reg 1 >> 0x00000002 ) ]
  [ payload load 4b @ network header + 12 => reg 9 ]
  [ lookup reg 1 set __map%d dreg 0 ]

__set%d t 87 size 1
__set%d t 0
	element 0000000a 00010101  - 00000014 ff010101  : 0 [end]
ip t c
  [ payload load 1b @ network header + 1 => reg 1 ]
  [ bitwise reg 1 = ( reg 1 & 0x000000fc ) ^ 0x00000000 ]
  [ bitwise reg 1 = ( reg 1 >> 0x00000002 ) ]
  [ payload load 4b @ network header + 12 => reg 9 ]
  [ lookup reg 1 set __set%d ]

ip t c
  [ payload load 1b @ network header + 1 => reg 1 ]
  [ bitwise reg 1 = ( reg 1 & 0x000000fc ) ^ 0x00000000 ]
  [ bitwise reg 1 = ( reg 1 >> 0x00000002 ) ]
  [ dynset add reg_key 1 set d ]

m t 21
m t 0
ip t c
  [ payload load 1b @ network header + 1 => reg 1 ]
  [ bitwise reg 1 = ( reg 1 & 0x000000fc ) ^ 0x00000000 ]
  [ bitwise reg 1 = ( reg 1 >> 0x00000002 ) ]
  [ dynset add reg_key 1 set m expr [ counter pkts 0 bytes 0 ] ]

`);
  });
  it("tcp flags merges with the adjacent window as an exact match", () => {
    expect(compile(`table ip t {
  chain c {
    tcp flags syn tcp window 1024
    tcp window 1024 tcp flags syn
    tcp flags syn,ack tcp window 512
    tcp flags syn counter tcp window 1024
    tcp flags != syn tcp window 1024
    tcp flags syn
  }
}`)).toBe(`ip (null) (null) use 0
ip t c
  [ meta load l4proto => reg 1 ]
  [ cmp eq reg 1 0x00000006 ]
  [ payload load 3b @ transport header + 13 => reg 1 ]
  [ cmp eq reg 1 0x00000402 ]

ip t c
  [ meta load l4proto => reg 1 ]
  [ cmp eq reg 1 0x00000006 ]
  [ payload load 3b @ transport header + 13 => reg 1 ]
  [ cmp eq reg 1 0x00000402 ]

ip t c
  [ meta load l4proto => reg 1 ]
  [ cmp eq reg 1 0x00000006 ]
  [ payload load 3b @ transport header + 13 => reg 1 ]
  [ cmp eq reg 1 0x00000212 ]

ip t c
  [ meta load l4proto => reg 1 ]
  [ cmp eq reg 1 0x00000006 ]
  [ payload load 3b @ transport header + 13 => reg 1 ]
  [ cmp eq reg 1 0x00000402 ]
  [ counter pkts 0 bytes 0 ]

ip t c
  [ meta load l4proto => reg 1 ]
  [ cmp eq reg 1 0x00000006 ]
  [ payload load 1b @ transport header + 13 => reg 1 ]
  [ cmp neq reg 1 0x00000002 ]
  [ payload load 2b @ transport header + 14 => reg 1 ]
  [ cmp eq reg 1 0x00000004 ]

ip t c
  [ meta load l4proto => reg 1 ]
  [ cmp eq reg 1 0x00000006 ]
  [ payload load 1b @ transport header + 13 => reg 1 ]
  [ bitwise reg 1 = ( reg 1 & 0x00000002 ) ^ 0x00000000 ]
  [ cmp neq reg 1 0x00000000 ]

`);
  });
  it("a reject dependency goes to the start of the rule", () => {
    expect(compile(`table inet t {
  chain c {
    meter m { ip saddr ct count over 64 } reject with tcp reset
    ip saddr 1.1.1.1 log reject with tcp reset
    th dport 22 counter reject with tcp reset
    ct state new counter reject with icmp type host-unreachable
    counter reject with icmpv6 type admin-prohibited
  }
}`)).toBe(`inet (null) (null) use 0
m t 21
m t 0
inet t c
  [ meta load l4proto => reg 1 ]
  [ cmp eq reg 1 0x00000006 ]
  [ meta load nfproto => reg 1 ]
  [ cmp eq reg 1 0x00000002 ]
  [ payload load 4b @ network header + 12 => reg 1 ]
  [ dynset add reg_key 1 set m expr [ connlimit count 64 flags 1 ] ]
  [ reject type 1 code 0 ]

inet t c
  [ meta load l4proto => reg 1 ]
  [ cmp eq reg 1 0x00000006 ]
  [ meta load nfproto => reg 1 ]
  [ cmp eq reg 1 0x00000002 ]
  [ payload load 4b @ network header + 12 => reg 1 ]
  [ cmp eq reg 1 0x01010101 ]
  [ log ]
  [ reject type 1 code 0 ]

inet t c
  [ meta load l4proto => reg 1 ]
  [ cmp eq reg 1 0x00000006 ]
  [ payload load 2b @ transport header + 2 => reg 1 ]
  [ cmp eq reg 1 0x00001600 ]
  [ counter pkts 0 bytes 0 ]
  [ reject type 1 code 0 ]

inet t c
  [ meta load nfproto => reg 1 ]
  [ cmp eq reg 1 0x00000002 ]
  [ ct load state => reg 1 ]
  [ bitwise reg 1 = ( reg 1 & 0x00000008 ) ^ 0x00000000 ]
  [ cmp neq reg 1 0x00000000 ]
  [ counter pkts 0 bytes 0 ]
  [ reject type 0 code 1 ]

inet t c
  [ meta load nfproto => reg 1 ]
  [ cmp eq reg 1 0x0000000a ]
  [ counter pkts 0 bytes 0 ]
  [ reject type 0 code 1 ]

`);
  });
  it("netdev reject dependencies", () => {
    expect(compile(`table netdev t {
  chain c {
    ip saddr 1.1.1.1 counter reject with tcp reset
    counter reject with icmp type host-unreachable
  }
}`)).toBe(`netdev (null) (null) use 0
netdev t c
  [ meta load l4proto => reg 1 ]
  [ cmp eq reg 1 0x00000006 ]
  [ meta load protocol => reg 1 ]
  [ cmp eq reg 1 0x00000008 ]
  [ payload load 4b @ network header + 12 => reg 1 ]
  [ cmp eq reg 1 0x01010101 ]
  [ counter pkts 0 bytes 0 ]
  [ reject type 1 code 0 ]

netdev t c
  [ meta load protocol => reg 1 ]
  [ cmp eq reg 1 0x00000008 ]
  [ counter pkts 0 bytes 0 ]
  [ reject type 0 code 1 ]

`);
  });
  it("host-order values in other concatenations and maps", () => {
    expect(compile(`table inet t {
  chain c {
    iifname . meta mark { "eth*" . 5 }
    ct state . ct mark { new . 1-5 }
    meta hour . meta day { "10:00"-"12:00" . 1 }
    meta l4proto tcp ct original proto-dst . ip saddr { 22-25 . 1.1.1.1 }
    meta mark set meta l4proto . ct zone map { 6 . 1-5 : 2 }
    meta mark set ct zone map { 1-5 : 2 }
  }
}`)).toBe(`inet (null) (null) use 0
__set%d t 87 size 1
__set%d t 0
	element 00687465 00000000 00000000 00000000 05000000  - ff687465 ffffffff ffffffff ffffffff 05000000  : 0 [end]
inet t c
  [ meta load iifname => reg 1 ]
  [ meta load mark => reg 2 ]
  [ byteorder reg 2 = hton(reg 2, 4, 4) ]
  [ lookup reg 1 set __set%d ]

__set%d t 87 size 1
__set%d t 0
	element 08000000 01000000  - 08000000 05000000  : 0 [end]
inet t c
  [ ct load state => reg 1 ]
  [ byteorder reg 1 = hton(reg 1, 4, 4) ]
  [ ct load mark => reg 9 ]
  [ byteorder reg 9 = hton(reg 9, 4, 4) ]
  [ lookup reg 1 set __set%d ]

__set%d t 87 size 1
__set%d t 0
	element a08c0000 00000001  - c0a80000 00000001  : 0 [end]
inet t c
  [ meta load hour => reg 1 ]
  [ byteorder reg 1 = hton(reg 1, 4, 4) ]
  [ meta load day => reg 9 ]
  [ byteorder reg 9 = hton(reg 9, 2, 1) ]
  [ lookup reg 1 set __set%d ]

__set%d t 87 size 1
__set%d t 0
	element 00001600 01010101  - 00001900 01010101  : 0 [end]
inet t c
  [ meta load l4proto => reg 1 ]
  [ cmp eq reg 1 0x00000006 ]
  [ meta load nfproto => reg 1 ]
  [ cmp eq reg 1 0x00000002 ]
  [ ct load proto_dst => reg 1 , dir original ]
  [ payload load 4b @ network header + 12 => reg 9 ]
  [ lookup reg 1 set __set%d ]

__map%d t 8f size 1
__map%d t 0
	element 00000006 00000100  - 00000006 00000500  : 00000002 0 [end]
inet t c
  [ meta load l4proto => reg 1 ]
  [ byteorder reg 1 = hton(reg 1, 2, 1) ]
  [ ct load zone => reg 9 ]
  [ byteorder reg 9 = hton(reg 9, 2, 2) ]
  [ lookup reg 1 set __map%d dreg 1 ]
  [ meta set mark with reg 1 ]

__map%d t f size 3
__map%d t 0
	element 00000000  : 1 [end]	element 00000100  : 00000002 0 [end]	element 00000600  : 1 [end]
inet t c
  [ ct load zone => reg 1 ]
  [ byteorder reg 1 = hton(reg 1, 2, 2) ]
  [ lookup reg 1 set __map%d dreg 1 ]
  [ meta set mark with reg 1 ]

`);
  });
});

describe('evaluation errors match nft 1.0.6', () => {
  it("a lookup reports the key type as expected", () => {
    expect(compile(`table ip t {
  set s { type inet_service; }
  chain c { ip saddr @s; }
}`).split('\n')[0]).toBe("ERROR x.nft:3:22-23: Error: datatype mismatch, expected IPv4 address, expression has type internet network service");
  });
  it("vmap on a data map", () => {
    expect(compile(`table ip t {
  map m { typeof ip saddr : meta mark; }
  chain c { ip saddr vmap @m; }
}`).split('\n')[0]).toBe("ERROR x.nft:3:13-28: Error: datatype mismatch: expected netfilter verdict, expression has type packet mark");
  });
  it("data map on a verdict map", () => {
    expect(compile(`table ip t {
  map m { typeof ip saddr : verdict; }
  chain c { meta mark set ip saddr map @m; }
}`).split('\n')[0]).toBe("ERROR x.nft:3:27-41: Error: datatype mismatch: expected packet mark, expression has type netfilter verdict");
  });
  it("value of another type", () => {
    expect(compile(`table ip t {
  chain c { meta mark set ip saddr; }
}`).split('\n')[0]).toBe("ERROR x.nft:2:27-34: Error: datatype mismatch: expected packet mark, expression has type IPv4 address");
  });
  it("header field of another width", () => {
    expect(compile(`table ip t {
  chain c { meta mark set ip ttl; }
}`).split('\n')[0]).toBe("ERROR x.nft:2:27-32: Error: datatype mismatch: expected packet mark, expression has type integer with length 8");
  });
  it("integer target, typed value", () => {
    expect(compile(`table ip t {
  chain c { ct zone set meta mark; }
}`).split('\n')[0]).toBe("ERROR x.nft:2:25-33: Error: datatype mismatch: expected integer, expression has type packet mark");
  });
  it("sub-byte target, typed value", () => {
    expect(compile(`table ip t {
  chain c { ip ttl set meta mark; }
}`).split('\n')[0]).toBe("ERROR x.nft:2:24-32: Error: datatype mismatch: expected integer, expression has type packet mark");
  });
  it("variable-sized types cannot be concatenated", () => {
    expect(compile(`table ip t {
  chain c { osf name . ip saddr { "Linux" . 1.1.1.0/24 }; }
}`).split('\n')[0]).toBe("ERROR x.nft:2:13-20: Error: can not use variable sized data types (string) in concat expressions");
  });
  it("non-constant right operand", () => {
    expect(compile(`table ip t {
  chain c { ct mark set ct mark | meta mark; }
}`).split('\n')[0]).toBe("ERROR x.nft:2:35-43: Error: Right hand side of binary operation (|) must be constant");
  });
});
