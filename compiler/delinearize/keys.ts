// Non-payload keys printed back from their instruction (nftables: src/meta.c,
// ct.c, fib.c, rt.c, numgen.c, hash.c, socket.c, osf.c, xfrm.c print
// callbacks): `[ meta load l4proto => reg 1 ]` → `meta l4proto` (type inet_proto).

import { fibFlags, type Insn } from '../insn.js';
import { META_KEYS } from '../expr/meta-keys.js';
import { CT_KEYS } from '../expr/ct-keys.js';
import { DATATYPES } from '../datatype.js';
import type { DExpr } from './types.js';
import type { ValueType } from './value.js';

function vt(type: string, bits?: number): ValueType {
  const d = DATATYPES[type];
  return { type, order: d?.order ?? 'be', bits: bits ?? d?.bits ?? 32 };
}

/** nft's keyword for each meta key where it differs from libnftnl's name. */
const META_NFT_NAME: Record<string, string> = {
  len: 'length', bri_iifname: 'ibrname', bri_oifname: 'obrname', prandom: 'random', secpath: 'ipsec',
  bri_iifpvid: 'ibrpvid', bri_iifvproto: 'ibrvproto',
};
/** Keys nft prints without the `meta` keyword. */
const META_UNQUALIFIED = new Set(['iif', 'oif', 'iifname', 'oifname', 'iifgroup', 'oifgroup']);
const META_BY_PRINT = new Map(Object.values(META_KEYS).map((m) => [m.print, m]));

/** `meta load KEY`: the key as nft prints it and the type of its values. */
export function metaKey(key: string): DExpr & { k: 'key' } {
  const m = META_BY_PRINT.get(key);
  const name = META_NFT_NAME[key] ?? key;
  const text = META_UNQUALIFIED.has(name) ? name : `meta ${name}`;
  return { k: 'key', text, vt: vt(m?.type ?? 'integer_host', m?.bits), meta: name };
}

const CT_NFT_NAME: Record<string, string> = { l3protocol: 'l3proto', proto_src: 'proto-src', proto_dst: 'proto-dst' };
const CT_BY_PRINT = new Map(Object.values(CT_KEYS).map((c) => [c.print, c]));

/** `ct load KEY , dir D`: `ct original ip saddr` etc. */
export function ctKey(key: string, dir: number | undefined, family: string): DExpr & { k: 'key' } {
  const d = dir === undefined ? '' : dir === 0 ? 'original ' : 'reply ';
  let name = CT_NFT_NAME[key] ?? key;
  let type = CT_BY_PRINT.get(key)?.type ?? 'integer_host';
  let bits = CT_BY_PRINT.get(key)?.bits;
  const addr = /^(src|dst)(_ip6?)?$/.exec(key);
  if (addr) {
    const v6 = addr[2] === '_ip6' || (!addr[2] && family === 'ip6');
    name = `${v6 ? 'ip6' : 'ip'} ${addr[1] === 'src' ? 'saddr' : 'daddr'}`;
    type = v6 ? 'ipv6_addr' : 'ipv4_addr';
    bits = v6 ? 128 : 32;
  }
  if (key === 'id') name = 'id';
  if (key === 'protocol') return { k: 'key', text: 'ct protocol', vt: vt(type, bits), ct: name, dir };
  const t = vt(type, bits);
  // The family-typed `ct original saddr` keys (not `ip saddr`/`ip6 saddr`) are printed in host byte order when partly compared.
  return { k: 'key', text: `ct ${d}${name}`, vt: t, ct: addr && !addr[2] ? 'addr' : name, dir };
}

const FIB_RESULT: Record<number, [string, string]> = { 1: ['oif', 'iface_index'], 2: ['oifname', 'ifname'], 3: ['type', 'fib_addrtype'] };

const RT_KEYS: Record<string, [string, string, number]> = {
  classid: ['rt classid', 'realm', 32], nexthop4: ['rt ip nexthop', 'ipv4_addr', 32], nexthop6: ['rt ip6 nexthop', 'ipv6_addr', 128],
  tcpmss: ['rt mtu', 'integer_host', 16], ipsec: ['rt ipsec', 'boolean', 1],
};

const SOCKET_KEYS: Record<string, [string, string]> = {
  transparent: ['socket transparent', 'integer_host'], mark: ['socket mark', 'mark'], wildcard: ['socket wildcard', 'integer_host'],
  cgroupv2: ['socket cgroupv2', 'integer_host'],
};

const XFRM_KEYS: Record<string, [string, string, number]> = {
  daddr4: ['ip daddr', 'ipv4_addr', 32], saddr4: ['ip saddr', 'ipv4_addr', 32], daddr6: ['ip6 daddr', 'ipv6_addr', 128],
  saddr6: ['ip6 saddr', 'ipv6_addr', 128], reqid: ['reqid', 'integer_host', 32], spi: ['spi', 'integer_be', 32],
};

/** The key expression loaded by a non-payload, non-exthdr instruction; `reg` gives the source of jhash. */
export function otherKey(i: Insn, family: string, reg: (n: number) => DExpr | undefined, print: (e: DExpr) => string): DExpr | undefined {
  switch (i.op) {
    case 'meta':
      return metaKey(i.key);
    case 'ct':
      return ctKey(i.key, i.dir, family);
    case 'fib': {
      const [name, type] = FIB_RESULT[i.result] ?? ['type', 'fib_addrtype'];
      if (i.flags & 0x20) return { k: 'key', text: `fib ${fibFlags(i.flags & 0x1f)} ${name}`, vt: vt('boolean') };
      return { k: 'key', text: `fib ${fibFlags(i.flags)} ${name}`, vt: vt(type) };
    }
    case 'rt': {
      const r = RT_KEYS[i.key] ?? [`rt ${i.key}`, 'integer_host', 32];
      let text = r[0];
      if ((i.key === 'nexthop4' && family === 'ip') || (i.key === 'nexthop6' && family === 'ip6')) text = 'rt nexthop';
      return { k: 'key', text, vt: vt(r[1], r[2]) };
    }
    case 'numgen':
      return { k: 'key', text: `numgen ${i.type ? 'random' : 'inc'} mod ${i.mod}${i.offset ? ` offset ${i.offset}` : ''}`, vt: vt('integer_host') };
    case 'hash': {
      const tail = `mod ${i.mod}${i.seed && i.type !== 1 ? ` seed 0x${(i.seed >>> 0).toString(16)}` : ''}${i.offset ? ` offset ${i.offset}` : ''}`;
      if (i.type === 1) return { k: 'key', text: `symhash ${tail}`, vt: vt('integer_host') };
      const src = reg(i.sreg);
      void print;
      return { k: 'key', text: `jhash \0 ${tail}`, vt: vt('integer_host'), src };
    }
    case 'socket': {
      const s = SOCKET_KEYS[i.key] ?? [`socket ${i.key}`, 'integer_host'];
      const text = i.key === 'cgroupv2' ? `socket cgroupv2 level ${i.level}` : s[0];
      return { k: 'key', text, vt: vt(s[1]) };
    }
    case 'osf':
      return { k: 'key', text: `osf ${i.ttl === 1 ? 'ttl loose ' : i.ttl === 2 ? 'ttl skip ' : ''}${i.flags & 1 ? 'version' : 'name'}`, vt: vt('string', 128) };
    case 'xfrm': {
      const x = XFRM_KEYS[i.key] ?? [i.key, 'integer_host', 32];
      return { k: 'key', text: `ipsec ${i.dir ? 'out' : 'in'}${i.spnum ? ` spnum ${i.spnum}` : ''} ${x[0]}`, vt: vt(x[1], x[2]) };
    }
  }
  return undefined;
}
