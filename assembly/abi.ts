/// <reference path="./portable.d.ts" />
// The nftvm ABI: every number the compiler, the host and the VM must agree
// on — kernel constants (include/uapi/linux/netfilter/nf_tables.h,
// netfilter.h), opcodes and the byte layout of the bytecode (docs/bytecode.md).
// Literal values only, so asc and tsc both compile it. `[ cmp eq reg 1 0x1600 ]`
// is an Op.Cmp record: CMP_SREG = word 4, CMP_OP = CmpOp.Eq, CMP_DATA = 00 16.

// ---------------------------------------------------------------------------
// Format

/** "NFTV" read as a little-endian u32: the first four bytes of a bytecode image. */
export const BC_MAGIC = 0x5654464e;
/** Format major version: bumped when a layout or a number changes meaning. */
export const BC_VERSION_MAJOR = 1;
/** Format minor version: bumped for additions an older reader rejects precisely. */
export const BC_VERSION_MINOR = 1;
/** Size of the file header before the section table. */
export const BC_HEADER_SIZE = 16;
/** Size of one section-table entry (id, offset, size, count; u32 each). */
export const BC_SECTION_ENTRY_SIZE = 16;
/** Absent u8 operand (register, direction, policy, family). */
export const NONE8 = 0xff;
/** Absent u32 operand (string, chain, position). */
export const NONE32: u32 = 0xffffffff;

// File header fields (byte offsets).
/** u32 BC_MAGIC. */
export const HDR_MAGIC = 0;
/** u16 major version. */
export const HDR_VERSION_MAJOR = 4;
/** u16 minor version. */
export const HDR_VERSION_MINOR = 6;
/** u32 file size in bytes. */
export const HDR_SIZE = 8;
/** u32 number of sections. */
export const HDR_SECTIONS = 12;

// Section-table entry fields (byte offsets within an entry).
/** u32 Section id. */
export const SEC_ID = 0;
/** u32 file offset of the section. */
export const SEC_OFFSET = 4;
/** u32 size in bytes, a multiple of 4. */
export const SEC_SIZE = 8;
/** u32 number of records. */
export const SEC_COUNT = 12;

/** Sections, in file order; each appears exactly once. */
export enum Section {
  /** string table: u16 length + UTF-8 bytes per entry, referenced by offset */
  Strings = 1,
  /** TABLE_RECORD_SIZE-byte table records */
  Tables = 2,
  /** CHAIN_RECORD_SIZE-byte chain records */
  Chains = 3,
  /** SET_RECORD_SIZE-byte set records (named and anonymous) */
  Sets = 4,
  /** variable-size element records, grouped by set */
  Elements = 5,
  /** OBJ_RECORD_SIZE-byte named object records */
  Objects = 6,
  /** RULE_RECORD_SIZE-byte rule records */
  Rules = 7,
  /** instruction records of all rules (and object state), back to back */
  Code = 8,
}
/** Number of sections in a version-1 file. */
export const SECTION_COUNT = 8;

// Table record: family u8, flags u8, name string.
/** u8 family (Family). */
export const TABLE_FAMILY = 0;
/** u8 TableFlags. */
export const TABLE_FLAGS = 1;
/** string offset of the name. */
export const TABLE_NAME = 4;
/** bytes per table record. */
export const TABLE_RECORD_SIZE = 8;

/** Table flags (NFT_TABLE_F_*). */
export enum TableFlags {
  /** NFT_TABLE_F_DORMANT: the table's base chains are off their hooks */
  Dormant = 0x1,
}

// Chain record: table index, name, handle, ChainFlags, type, hook, policy, prio, devices.
/** u32 table index. */
export const CHAIN_TABLE = 0;
/** string offset of the name. */
export const CHAIN_NAME = 4;
/** u32 handle. */
export const CHAIN_HANDLE = 8;
/** u8 ChainFlags. */
export const CHAIN_FLAGS = 12;
/** u8 ChainType of a base chain. */
export const CHAIN_TYPE = 13;
/** u8 hook number (InetHook, NetdevHook or ArpHook by family). */
export const CHAIN_HOOK = 14;
/** u8 policy (Verdict.Drop or Accept), NONE8 = none. */
export const CHAIN_POLICY = 15;
/** i32 priority. */
export const CHAIN_PRIO = 16;
/** string offset of the NUL-separated devices, NONE32 = none. */
export const CHAIN_DEVICES = 20;
/** bytes per chain record. */
export const CHAIN_RECORD_SIZE = 24;

// Set record; key fields are 4-byte padded in registers and elements.
/** u32 table index. */
export const SET_TABLE = 0;
/** string offset of the name. */
export const SET_NAME = 4;
/** u32 handle. */
export const SET_HANDLE = 8;
/** u32 SetFlags. */
export const SET_FLAGS = 12;
/** u8 number of key fields (1..SET_FIELD_MAX). */
export const SET_FIELD_COUNT = 16;
/** u8 SetData. */
export const SET_DATA_KIND = 17;
/** u8 data length in bytes. */
export const SET_DATA_LEN = 18;
/** u8 ObjectType of an object map, 0 = none. */
export const SET_OBJ_TYPE = 19;
/** u8[SET_FIELD_MAX] key field lengths in bytes, unpadded. */
export const SET_FIELD_LEN = 20;
/** string offset of the key datatypes joined by ' . '. */
export const SET_KEY_TYPE = 36;
/** string offset of the data datatype, NONE32 = none. */
export const SET_DATA_TYPE = 40;
/** u64 default timeout in ms. */
export const SET_TIMEOUT = 44;
/** u32 gc interval in ms. */
export const SET_GC_INTERVAL = 52;
/** u32 maximum number of elements. */
export const SET_SIZE = 56;
/** u8 SetPolicy, NONE8 = none. */
export const SET_POLICY = 60;
/** u8 SetHas. */
export const SET_HAS = 61;
/** string offset of the comment, NONE32 = none. */
export const SET_COMMENT = 64;
/** u32 offset of the first element in the elements section. */
export const SET_ELEM_OFFSET = 68;
/** u32 number of elements. */
export const SET_ELEM_COUNT = 72;
/** bytes per set record. */
export const SET_RECORD_SIZE = 76;
/** Most concatenated key fields (NFT_REG32_COUNT). */
export const SET_FIELD_MAX = 16;

/** Optional set attributes present in SET_HAS. */
export enum SetHas {
  /** SET_TIMEOUT is set (NFTA_SET_TIMEOUT) */
  Timeout = 0x1,
  /** SET_GC_INTERVAL is set (NFTA_SET_GC_INTERVAL) */
  GcInterval = 0x2,
  /** SET_SIZE is set (NFTA_SET_DESC_SIZE) */
  Size = 0x4,
  /** bound to a rule: an anonymous set or a meter */
  Anonymous = 0x8,
}

/** What a set maps its keys to (SET_DATA_KIND). */
export enum SetData {
  /** a plain set (or an object map) */
  None = 0,
  /** a map: SET_DATA_LEN bytes per element (NFT_DATA_VALUE) */
  Value = 1,
  /** a verdict map: code and chain per element (NFT_DATA_VERDICT) */
  Verdict = 2,
}

// Element record: size, flags, parts present, then key, key end, data, verdict, ...
/** u16 record size in bytes. */
export const ELEM_SIZE = 0;
/** u8 SetElemFlags. */
export const ELEM_FLAGS = 2;
/** u8 ElemHas. */
export const ELEM_HAS = 3;
/** u8 number of key fields present. */
export const ELEM_KEY_COUNT = 4;
/** u8 data length in bytes. */
export const ELEM_DATA_LEN = 5;
/** u8 number of expression records. */
export const ELEM_EXPR_COUNT = 6;
/** the key fields, each padded to 4 bytes. */
export const ELEM_KEY = 8;

/** Variable parts of an element record, in the order they follow ELEM_KEY. */
export enum ElemHas {
  /** key end fields, as many as the key (NFTA_SET_ELEM_KEY_END) */
  KeyEnd = 0x1,
  /** ELEM_DATA_LEN bytes, padded to 4 (NFTA_SET_ELEM_DATA) */
  Data = 0x2,
  /** i32 verdict code, u32 chain index (NFTA_SET_ELEM_DATA of a verdict map) */
  Verdict = 0x4,
  /** u64 timeout in ms (NFTA_SET_ELEM_TIMEOUT) */
  Timeout = 0x8,
  /** u64 ms until expiry (NFTA_SET_ELEM_EXPIRATION) */
  Expires = 0x10,
  /** u32 string offset of the comment (NFTA_SET_ELEM_USERDATA) */
  Comment = 0x20,
  /** ELEM_EXPR_COUNT instruction records (NFTA_SET_ELEM_EXPRESSIONS) */
  Exprs = 0x40,
  /** no payload: the interval reaches the top of the key space (nft's NFTNL_SET_ELEM_F_INTERVAL_OPEN) */
  Open = 0x80,
}

// Object record: table, name, handle, ObjectType, state record in Code.
/** u32 table index. */
export const OBJ_TABLE = 0;
/** string offset of the name. */
export const OBJ_NAME = 4;
/** u32 handle. */
export const OBJ_HANDLE = 8;
/** u8 ObjectType. */
export const OBJ_TYPE = 12;
/** u32 code offset of the state record, NONE32 = none. */
export const OBJ_STATE = 16;
/** bytes per object record. */
export const OBJ_RECORD_SIZE = 20;

// Rule record: chain index, handle, position, comment, its code and anonymous sets.
/** u32 chain index. */
export const RULE_CHAIN = 0;
/** u32 handle. */
export const RULE_HANDLE = 4;
/** u32 position the rule was placed at, NONE32 = none. */
export const RULE_POSITION = 8;
/** string offset of the comment, NONE32 = none. */
export const RULE_COMMENT = 12;
/** u32 offset of the first instruction in the code section. */
export const RULE_CODE = 16;
/** u32 bytes of instructions. */
export const RULE_CODE_SIZE = 20;
/** u32 index of the first anonymous set the rule owns. */
export const RULE_SET_FIRST = 24;
/** u16 number of anonymous sets the rule owns. */
export const RULE_SET_COUNT = 28;
/** u16 number of instructions. */
export const RULE_INSN_COUNT = 30;
/** bytes per rule record. */
export const RULE_RECORD_SIZE = 32;

// ---------------------------------------------------------------------------
// Registers (kernel: enum nft_registers, nft_parse_register)

/** Netlink register numbers; the VM addresses 32-bit words of a 20-word file. */
export enum Reg {
  /** NFT_REG_VERDICT: the 16-byte verdict (words 0..3) */
  Verdict = 0,
  /** NFT_REG_1: legacy 128-bit register 1 (words 4..7) */
  R1 = 1,
  /** NFT_REG_2: words 8..11 */
  R2 = 2,
  /** NFT_REG_3: words 12..15 */
  R3 = 3,
  /** NFT_REG_4: words 16..19 */
  R4 = 4,
  /** NFT_REG32_00: first 32-bit register, word 4 */
  R32_00 = 8,
  /** NFT_REG32_15: last 32-bit register, word 19 */
  R32_15 = 23,
}
/** NFT_REG_SIZE: bytes of a legacy register. */
export const NFT_REG_SIZE = 16;
/** NFT_REG32_SIZE: bytes of a 32-bit register. */
export const NFT_REG32_SIZE = 4;
/** NFT_REG32_COUNT: 32-bit data registers. */
export const NFT_REG32_COUNT = 16;
/** NFT_REG32_NUM: words in the register file, verdict included. */
export const NFT_REG32_NUM = 20;
/** First data word (words 0..3 hold the verdict). */
export const NFT_REG_DATA_WORD = 4;
/** NFT_DATA_VALUE_MAXLEN: largest data value in bytes. */
export const NFT_DATA_VALUE_MAXLEN = 64;
/** nft_parse_register: register number (0..23) → word index; -1 = invalid. n ≤ 4 → 4n, 8..23 → n-4. */
export const NFT_REG_TO_WORD: i32[] = [0, 4, 8, 12, 16, -1, -1, -1, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19];
/** Word index (0..19) → register number as nft 1.0.6 names it (legacy name on 16-byte boundaries); -1 = inside the verdict. */
export const NFT_WORD_TO_REG: i32[] = [0, -1, -1, -1, 1, 9, 10, 11, 2, 13, 14, 15, 3, 17, 18, 19, 4, 21, 22, 23];

// ---------------------------------------------------------------------------
// Verdicts (kernel: include/uapi/linux/netfilter.h, enum nft_verdicts)

/** Verdict codes as stored in word 0 of the register file. */
export enum Verdict {
  /** NF_DROP: free the packet, stop the hook */
  Drop = 0,
  /** NF_ACCEPT: leave this base chain */
  Accept = 1,
  /** NF_STOLEN: packet consumed (not accepted from userspace) */
  Stolen = 2,
  /** NF_QUEUE: to nfqueue; queue number in bits 16..31 */
  Queue = 3,
  /** NF_REPEAT: call the hook again (not accepted from userspace) */
  Repeat = 4,
  /** NF_STOP: deprecated (not accepted from userspace) */
  Stop = 5,
  /** NFT_CONTINUE: next expression / rule */
  Continue = -1,
  /** NFT_BREAK: abort this rule, continue with the next */
  Break = -2,
  /** NFT_JUMP: push the return point, enter the chain in word 1 */
  Jump = -3,
  /** NFT_GOTO: enter the chain in word 1 without pushing */
  Goto = -4,
  /** NFT_RETURN: pop the jump stack */
  Return = -5,
}
/** NF_VERDICT_MASK: the verdict proper, without queue number or errno. */
export const NF_VERDICT_MASK = 0xff;
/** NF_VERDICT_QBITS: shift of the queue number in an NF_QUEUE verdict. */
export const NF_VERDICT_QBITS = 16;
/** NF_VERDICT_FLAG_QUEUE_BYPASS: accept instead of drop when no listener. */
export const NF_VERDICT_FLAG_QUEUE_BYPASS = 0x8000;
/** NFT_JUMP_STACK_SIZE: deepest jump nesting. */
export const NFT_JUMP_STACK_SIZE = 16;

// ---------------------------------------------------------------------------
// Families, hooks, chains (kernel: netfilter.h, nf_tables.h)

/** Address families (NFPROTO_*). */
export enum Family {
  /** NFPROTO_INET: ip and ip6 */
  Inet = 1,
  /** NFPROTO_IPV4: `ip` */
  Ipv4 = 2,
  /** NFPROTO_ARP */
  Arp = 3,
  /** NFPROTO_NETDEV */
  Netdev = 5,
  /** NFPROTO_BRIDGE */
  Bridge = 7,
  /** NFPROTO_IPV6: `ip6` */
  Ipv6 = 10,
}

/** Hooks of ip, ip6, inet and bridge (enum nf_inet_hooks; NF_BR_* share the numbers). */
export enum InetHook {
  /** NF_INET_PRE_ROUTING */
  Prerouting = 0,
  /** NF_INET_LOCAL_IN */
  Input = 1,
  /** NF_INET_FORWARD */
  Forward = 2,
  /** NF_INET_LOCAL_OUT */
  Output = 3,
  /** NF_INET_POST_ROUTING */
  Postrouting = 4,
  /** NF_INET_INGRESS (inet only) */
  Ingress = 5,
}

/** Hooks of the netdev family (enum nf_dev_hooks). */
export enum NetdevHook {
  /** NF_NETDEV_INGRESS */
  Ingress = 0,
  /** NF_NETDEV_EGRESS */
  Egress = 1,
}

/** Hooks of the arp family (NF_ARP_*). */
export enum ArpHook {
  /** NF_ARP_IN */
  In = 0,
  /** NF_ARP_OUT */
  Out = 1,
  /** NF_ARP_FORWARD */
  Forward = 2,
}

/** Base-chain types (enum nft_chain_types). */
export enum ChainType {
  /** NFT_CHAIN_T_DEFAULT: `filter` */
  Filter = 0,
  /** NFT_CHAIN_T_ROUTE: `route` */
  Route = 1,
  /** NFT_CHAIN_T_NAT: `nat` */
  Nat = 2,
}

/** Chain flags (enum nft_chain_flags). */
export enum ChainFlags {
  /** NFT_CHAIN_BASE: attached to a hook */
  Base = 0x1,
  /** NFT_CHAIN_HW_OFFLOAD */
  HwOffload = 0x2,
  /** NFT_CHAIN_BINDING: anonymous chain bound to a rule */
  Binding = 0x4,
}

// ---------------------------------------------------------------------------
// Sets and objects (kernel: enum nft_set_flags, nft_set_elem_flags, ...)

/** Set flags (enum nft_set_flags). */
export enum SetFlags {
  /** NFT_SET_ANONYMOUS: bound to a rule */
  Anonymous = 0x1,
  /** NFT_SET_CONSTANT: elements cannot change */
  Constant = 0x2,
  /** NFT_SET_INTERVAL: elements are ranges */
  Interval = 0x4,
  /** NFT_SET_MAP: elements carry data */
  Map = 0x8,
  /** NFT_SET_TIMEOUT: elements can expire */
  Timeout = 0x10,
  /** NFT_SET_EVAL: updated from the packet path (dynset) */
  Eval = 0x20,
  /** NFT_SET_OBJECT: elements map to stateful objects */
  Object = 0x40,
  /** NFT_SET_CONCAT: concatenated interval keys */
  Concat = 0x80,
  /** NFT_SET_EXPR: elements carry expressions */
  Expr = 0x100,
}

/** Set element flags (enum nft_set_elem_flags). */
export enum SetElemFlags {
  /** NFT_SET_ELEM_INTERVAL_END: this element ends an interval */
  IntervalEnd = 0x1,
  /** NFT_SET_ELEM_CATCHALL: matches any key */
  Catchall = 0x2,
}

/** Set policies (enum nft_set_policies). */
export enum SetPolicy {
  /** NFT_SET_POL_PERFORMANCE */
  Performance = 0,
  /** NFT_SET_POL_MEMORY */
  Memory = 1,
}

/** Stateful object types (NFT_OBJECT_*). */
export enum ObjectType {
  /** NFT_OBJECT_COUNTER */
  Counter = 1,
  /** NFT_OBJECT_QUOTA */
  Quota = 2,
  /** NFT_OBJECT_CT_HELPER */
  CtHelper = 3,
  /** NFT_OBJECT_LIMIT */
  Limit = 4,
  /** NFT_OBJECT_CONNLIMIT */
  Connlimit = 5,
  /** NFT_OBJECT_TUNNEL */
  Tunnel = 6,
  /** NFT_OBJECT_CT_TIMEOUT */
  CtTimeout = 7,
  /** NFT_OBJECT_SECMARK */
  Secmark = 8,
  /** NFT_OBJECT_CT_EXPECT */
  CtExpect = 9,
  /** NFT_OBJECT_SYNPROXY */
  Synproxy = 10,
}

// ---------------------------------------------------------------------------
// Expression operands (kernel: nf_tables.h enums, one per expression)

/** Relational operators of `cmp` (enum nft_cmp_ops). */
export enum CmpOp {
  /** NFT_CMP_EQ */
  Eq = 0,
  /** NFT_CMP_NEQ */
  Neq = 1,
  /** NFT_CMP_LT */
  Lt = 2,
  /** NFT_CMP_LTE */
  Lte = 3,
  /** NFT_CMP_GT */
  Gt = 4,
  /** NFT_CMP_GTE */
  Gte = 5,
}

/** Operators of `range` (enum nft_range_ops). */
export enum RangeOp {
  /** NFT_RANGE_EQ: from ≤ reg ≤ to */
  Eq = 0,
  /** NFT_RANGE_NEQ: outside [from, to] */
  Neq = 1,
}

/** Operations of `bitwise` (enum nft_bitwise_ops). */
export enum BitwiseOp {
  /** NFT_BITWISE_MASK_XOR: dreg = (sreg & mask) ^ xor */
  MaskXor = 0,
  /** NFT_BITWISE_LSHIFT: host-order words shifted left */
  Lshift = 1,
  /** NFT_BITWISE_RSHIFT: host-order words shifted right */
  Rshift = 2,
  /** NFT_BITWISE_AND: dreg = sreg & sreg2 */
  And = 3,
  /** NFT_BITWISE_OR: dreg = sreg | sreg2 */
  Or = 4,
  /** NFT_BITWISE_XOR: dreg = sreg ^ sreg2 */
  Xor = 5,
}

/** Operations of `byteorder` (enum nft_byteorder_ops). */
export enum ByteorderOp {
  /** NFT_BYTEORDER_NTOH */
  Ntoh = 0,
  /** NFT_BYTEORDER_HTON */
  Hton = 1,
}

/** Payload bases (enum nft_payload_bases). */
export enum PayloadBase {
  /** NFT_PAYLOAD_LL_HEADER: link layer header */
  LL = 0,
  /** NFT_PAYLOAD_NETWORK_HEADER */
  Network = 1,
  /** NFT_PAYLOAD_TRANSPORT_HEADER */
  Transport = 2,
  /** NFT_PAYLOAD_INNER_HEADER: after the transport header */
  Inner = 3,
  /** NFT_PAYLOAD_TUN_HEADER: tunnel header (internal) */
  Tun = 4,
}

/** Checksum fixups of a payload write (enum nft_payload_csum_types). */
export enum PayloadCsum {
  /** NFT_PAYLOAD_CSUM_NONE */
  None = 0,
  /** NFT_PAYLOAD_CSUM_INET: RFC 1624 incremental update */
  Inet = 1,
  /** NFT_PAYLOAD_CSUM_SCTP: CRC32c */
  Sctp = 2,
}

/** Payload write flags (enum nft_payload_csum_flags). */
export enum PayloadCsumFlags {
  /** NFT_PAYLOAD_L4CSUM_PSEUDOHDR: also fix the L4 pseudo-header checksum */
  L4Pseudohdr = 0x1,
}

/** Meta keys (enum nft_meta_keys). */
export enum MetaKey {
  /** NFT_META_LEN: packet length */
  Len = 0,
  /** NFT_META_PROTOCOL: ethertype, big-endian */
  Protocol = 1,
  /** NFT_META_PRIORITY: skb priority */
  Priority = 2,
  /** NFT_META_MARK: packet mark */
  Mark = 3,
  /** NFT_META_IIF: input interface index */
  Iif = 4,
  /** NFT_META_OIF: output interface index */
  Oif = 5,
  /** NFT_META_IIFNAME: input interface name */
  Iifname = 6,
  /** NFT_META_OIFNAME: output interface name */
  Oifname = 7,
  /** NFT_META_IIFTYPE: input interface type (ARPHRD_*) */
  Iiftype = 8,
  /** NFT_META_OIFTYPE: output interface type */
  Oiftype = 9,
  /** NFT_META_SKUID: socket uid */
  Skuid = 10,
  /** NFT_META_SKGID: socket gid */
  Skgid = 11,
  /** NFT_META_NFTRACE: packet trace flag */
  Nftrace = 12,
  /** NFT_META_RTCLASSID: routing realm */
  Rtclassid = 13,
  /** NFT_META_SECMARK: packet secmark */
  Secmark = 14,
  /** NFT_META_NFPROTO: hook family */
  Nfproto = 15,
  /** NFT_META_L4PROTO: transport protocol */
  L4proto = 16,
  /** NFT_META_BRI_IIFNAME: bridge port input name */
  BriIifname = 17,
  /** NFT_META_BRI_OIFNAME: bridge port output name */
  BriOifname = 18,
  /** NFT_META_PKTTYPE: host, broadcast, multicast, other */
  Pkttype = 19,
  /** NFT_META_CPU: processing cpu */
  Cpu = 20,
  /** NFT_META_IIFGROUP: input interface group */
  Iifgroup = 21,
  /** NFT_META_OIFGROUP: output interface group */
  Oifgroup = 22,
  /** NFT_META_CGROUP: socket cgroup classid */
  Cgroup = 23,
  /** NFT_META_PRANDOM: pseudo-random u32 */
  Prandom = 24,
  /** NFT_META_SECPATH: packet has an IPsec path */
  Secpath = 25,
  /** NFT_META_IIFKIND: input interface kind */
  Iifkind = 26,
  /** NFT_META_OIFKIND: output interface kind */
  Oifkind = 27,
  /** NFT_META_BRI_IIFPVID: bridge port PVID */
  BriIifpvid = 28,
  /** NFT_META_BRI_IIFVPROTO: bridge VLAN protocol */
  BriIifvproto = 29,
  /** NFT_META_TIME_NS: ns since the epoch */
  TimeNs = 30,
  /** NFT_META_TIME_DAY: day of week, 0 = Sunday */
  TimeDay = 31,
  /** NFT_META_TIME_HOUR: seconds since midnight UTC */
  TimeHour = 32,
  /** NFT_META_SDIF: L3 master device index */
  Sdif = 33,
  /** NFT_META_SDIFNAME: L3 master device name */
  Sdifname = 34,
  /** NFT_META_BRI_BROUTE: bridge broute */
  BriBroute = 35,
}

/** Conntrack keys (enum nft_ct_keys). */
export enum CtKey {
  /** NFT_CT_STATE: ct state bits */
  State = 0,
  /** NFT_CT_DIRECTION */
  Direction = 1,
  /** NFT_CT_STATUS: IPS_* bits */
  Status = 2,
  /** NFT_CT_MARK */
  Mark = 3,
  /** NFT_CT_SECMARK */
  Secmark = 4,
  /** NFT_CT_EXPIRATION: ms left */
  Expiration = 5,
  /** NFT_CT_HELPER: helper name of the master conntrack */
  Helper = 6,
  /** NFT_CT_L3PROTOCOL */
  L3protocol = 7,
  /** NFT_CT_SRC: source address (ip tables) */
  Src = 8,
  /** NFT_CT_DST: destination address (ip tables) */
  Dst = 9,
  /** NFT_CT_PROTOCOL */
  Protocol = 10,
  /** NFT_CT_PROTO_SRC: source port, big-endian */
  ProtoSrc = 11,
  /** NFT_CT_PROTO_DST: destination port, big-endian */
  ProtoDst = 12,
  /** NFT_CT_LABELS: 128 label bits */
  Labels = 13,
  /** NFT_CT_PKTS: packet count */
  Pkts = 14,
  /** NFT_CT_BYTES: byte count */
  Bytes = 15,
  /** NFT_CT_AVGPKT: average packet size */
  Avgpkt = 16,
  /** NFT_CT_ZONE */
  Zone = 17,
  /** NFT_CT_EVENTMASK: events to report (set only) */
  Eventmask = 18,
  /** NFT_CT_SRC_IP */
  SrcIp = 19,
  /** NFT_CT_DST_IP */
  DstIp = 20,
  /** NFT_CT_SRC_IP6 */
  SrcIp6 = 21,
  /** NFT_CT_DST_IP6 */
  DstIp6 = 22,
  /** NFT_CT_ID: conntrack id */
  Id = 23,
}

/** Conntrack directions (enum ip_conntrack_dir). */
export enum CtDir {
  /** IP_CT_DIR_ORIGINAL */
  Original = 0,
  /** IP_CT_DIR_REPLY */
  Reply = 1,
}

/** Lookup flags (enum nft_lookup_flags). */
export enum LookupFlags {
  /** NFT_LOOKUP_F_INV: match when the key is absent */
  Inv = 0x1,
}

/** Dynset operations (enum nft_dynset_ops). */
export enum DynsetOp {
  /** NFT_DYNSET_OP_ADD */
  Add = 0,
  /** NFT_DYNSET_OP_UPDATE: also refreshes the timeout */
  Update = 1,
  /** NFT_DYNSET_OP_DELETE */
  Delete = 2,
}

/** Limit types (enum nft_limit_type). */
export enum LimitType {
  /** NFT_LIMIT_PKTS */
  Pkts = 0,
  /** NFT_LIMIT_PKT_BYTES */
  Bytes = 1,
}

/** Limit flags (enum nft_limit_flags). */
export enum LimitFlags {
  /** NFT_LIMIT_F_INV: `over` */
  Inv = 0x1,
}

/** Quota flags (enum nft_quota_flags). */
export enum QuotaFlags {
  /** NFT_QUOTA_F_INV: `over` */
  Inv = 0x1,
  /** NFT_QUOTA_F_DEPLETED */
  Depleted = 0x2,
}

/** Log attributes present in a log record (LOG_HAS). */
export enum LogHas {
  /** LOG_PREFIX is set (NFTA_LOG_PREFIX) */
  Prefix = 0x1,
  /** LOG_GROUP is set: log to nflog (NFTA_LOG_GROUP) */
  Group = 0x2,
  /** LOG_SNAPLEN is set (NFTA_LOG_SNAPLEN) */
  Snaplen = 0x4,
  /** LOG_QTHRESHOLD is set (NFTA_LOG_QTHRESHOLD) */
  Qthreshold = 0x8,
  /** LOG_LEVEL is set (NFTA_LOG_LEVEL) */
  Level = 0x10,
}

/** Reject types (enum nft_reject_types). */
export enum RejectType {
  /** NFT_REJECT_ICMP_UNREACH: family's ICMP code */
  IcmpUnreach = 0,
  /** NFT_REJECT_TCP_RST */
  TcpRst = 1,
  /** NFT_REJECT_ICMPX_UNREACH: family-independent code */
  IcmpxUnreach = 2,
}

/** NAT types (enum nft_nat_types). */
export enum NatType {
  /** NFT_NAT_SNAT */
  Snat = 0,
  /** NFT_NAT_DNAT */
  Dnat = 1,
}

/** NAT range flags (NF_NAT_RANGE_*). */
export enum NatRangeFlags {
  /** NF_NAT_RANGE_MAP_IPS */
  MapIps = 0x1,
  /** NF_NAT_RANGE_PROTO_SPECIFIED */
  ProtoSpecified = 0x2,
  /** NF_NAT_RANGE_PROTO_RANDOM */
  ProtoRandom = 0x4,
  /** NF_NAT_RANGE_PERSISTENT */
  Persistent = 0x8,
  /** NF_NAT_RANGE_PROTO_RANDOM_FULLY */
  ProtoRandomFully = 0x10,
  /** NF_NAT_RANGE_PROTO_OFFSET */
  ProtoOffset = 0x20,
  /** NF_NAT_RANGE_NETMAP */
  Netmap = 0x40,
}

/** Queue flags (NFT_QUEUE_FLAG_*). */
export enum QueueFlags {
  /** NFT_QUEUE_FLAG_BYPASS: accept when no listener */
  Bypass = 0x1,
  /** NFT_QUEUE_FLAG_CPU_FANOUT: spread by cpu */
  CpuFanout = 0x2,
}

/** Extension header families (enum nft_exthdr_op). */
export enum ExthdrOp {
  /** NFT_EXTHDR_OP_IPV6 */
  Ipv6 = 0,
  /** NFT_EXTHDR_OP_TCPOPT */
  Tcpopt = 1,
  /** NFT_EXTHDR_OP_IPV4 */
  Ipv4 = 2,
  /** NFT_EXTHDR_OP_SCTP */
  Sctp = 3,
  /** NFT_EXTHDR_OP_DCCP */
  Dccp = 4,
}

/** Exthdr flags (enum nft_exthdr_flags). */
export enum ExthdrFlags {
  /** NFT_EXTHDR_F_PRESENT: store 1/0 instead of the bytes */
  Present = 0x1,
}

/** Fib results (enum nft_fib_result). */
export enum FibResult {
  /** NFT_FIB_RESULT_OIF */
  Oif = 1,
  /** NFT_FIB_RESULT_OIFNAME */
  Oifname = 2,
  /** NFT_FIB_RESULT_ADDRTYPE */
  Addrtype = 3,
}

/** Fib flags (enum nft_fib_flags). */
export enum FibFlags {
  /** NFTA_FIB_F_SADDR */
  Saddr = 0x1,
  /** NFTA_FIB_F_DADDR */
  Daddr = 0x2,
  /** NFTA_FIB_F_MARK */
  Mark = 0x4,
  /** NFTA_FIB_F_IIF */
  Iif = 0x8,
  /** NFTA_FIB_F_OIF */
  Oif = 0x10,
  /** NFTA_FIB_F_PRESENT */
  Present = 0x20,
}

/** Route keys (enum nft_rt_keys). */
export enum RtKey {
  /** NFT_RT_CLASSID */
  Classid = 0,
  /** NFT_RT_NEXTHOP4 */
  Nexthop4 = 1,
  /** NFT_RT_NEXTHOP6 */
  Nexthop6 = 2,
  /** NFT_RT_TCPMSS */
  Tcpmss = 3,
  /** NFT_RT_XFRM: route has an IPsec transform */
  Xfrm = 4,
}

/** Numgen types (enum nft_ng_types). */
export enum NumgenType {
  /** NFT_NG_INCREMENTAL */
  Incremental = 0,
  /** NFT_NG_RANDOM */
  Random = 1,
}

/** Hash types (enum nft_hash_types). */
export enum HashType {
  /** NFT_HASH_JENKINS */
  Jenkins = 0,
  /** NFT_HASH_SYM: the skb's symmetric flow hash */
  Sym = 1,
}

/** Socket keys (enum nft_socket_keys). */
export enum SocketKey {
  /** NFT_SOCKET_TRANSPARENT */
  Transparent = 0,
  /** NFT_SOCKET_MARK */
  Mark = 1,
  /** NFT_SOCKET_WILDCARD */
  Wildcard = 2,
  /** NFT_SOCKET_CGROUPV2 */
  Cgroupv2 = 3,
}

/** Xfrm keys (enum nft_xfrm_keys). */
export enum XfrmKey {
  /** NFT_XFRM_KEY_UNSPEC */
  Unspec = 0,
  /** NFT_XFRM_KEY_DADDR_IP4 */
  DaddrIp4 = 1,
  /** NFT_XFRM_KEY_DADDR_IP6 */
  DaddrIp6 = 2,
  /** NFT_XFRM_KEY_SADDR_IP4 */
  SaddrIp4 = 3,
  /** NFT_XFRM_KEY_SADDR_IP6 */
  SaddrIp6 = 4,
  /** NFT_XFRM_KEY_REQID */
  Reqid = 5,
  /** NFT_XFRM_KEY_SPI */
  Spi = 6,
}

// ---------------------------------------------------------------------------
// Opcodes and instruction records

/** Opcodes: one per kernel expression ops (nft_<name>_ops); 0 is never valid. */
export enum Op {
  /** nft_payload_ops: load packet bytes */
  Payload = 1,
  /** nft_payload_set_ops: write packet bytes, fix checksums */
  PayloadSet = 2,
  /** nft_cmp_ops: compare a register with data */
  Cmp = 3,
  /** nft_range_ops: inclusive range test */
  Range = 4,
  /** nft_bitwise_ops: mask-xor or shift */
  Bitwise = 5,
  /** nft_byteorder_ops: swap element byte order */
  Byteorder = 6,
  /** nft_meta_get_ops: load a meta key */
  Meta = 7,
  /** nft_meta_set_ops: set a meta key */
  MetaSet = 8,
  /** nft_ct_get_ops: load a conntrack key */
  Ct = 9,
  /** nft_ct_set_ops: set a conntrack key */
  CtSet = 10,
  /** nft_imm_ops: load data or a verdict */
  Immediate = 11,
  /** nft_lookup_ops: set / map lookup */
  Lookup = 12,
  /** nft_dynset_ops: add / update / delete a set element */
  Dynset = 13,
  /** nft_counter_ops */
  Counter = 14,
  /** nft_limit_ops (pkts and bytes) */
  Limit = 15,
  /** nft_quota_ops */
  Quota = 16,
  /** nft_log_ops */
  Log = 17,
  /** nft_reject_*_ops */
  Reject = 18,
  /** nft_nat_ops: snat / dnat */
  Nat = 19,
  /** nft_masq_*_ops */
  Masq = 20,
  /** nft_redir_*_ops */
  Redir = 21,
  /** nft_notrack_ops */
  Notrack = 22,
  /** nft_queue_ops and nft_queue_sreg_ops */
  Queue = 23,
  /** nft_objref_ops: run a named object */
  Objref = 24,
  /** nft_objref_map_ops: run the object a map names */
  ObjrefMap = 25,
  /** nft_exthdr_*_ops: load from an extension header / option */
  Exthdr = 26,
  /** nft_exthdr_tcp_set_ops: write a TCP option */
  ExthdrSet = 27,
  /** nft_fib_*_ops: route lookup */
  Fib = 28,
  /** nft_rt_get_ops */
  Rt = 29,
  /** nft_ng_inc_ops, nft_ng_random_ops */
  Numgen = 30,
  /** nft_jhash_ops, nft_symhash_ops */
  Hash = 31,
  /** nft_socket_ops */
  Socket = 32,
  /** nft_osf_op */
  Osf = 33,
  /** nft_xfrm_get_ops */
  Xfrm = 34,
  /** nft_tproxy_ops */
  Tproxy = 35,
  /** nft_dup_*_ops */
  Dup = 36,
  /** nft_fwd_netdev_ops */
  Fwd = 37,
  /** nft_synproxy_ops */
  Synproxy = 38,
  /** nft_connlimit_ops */
  Connlimit = 39,
  /** nft_last_ops */
  Last = 40,
  /** nft_flow_offload_ops */
  FlowOffload = 41,
  /** nft_ct_timeout_obj_ops: a ct timeout object's policy (object state only, never in a rule) */
  CtTimeoutObj = 42,
  /** nft_ct_helper_obj_ops: a ct helper object's helper (object state only, never in a rule) */
  CtHelperObj = 43,
}
/** One past the largest opcode. */
export const OP_COUNT = 44;

// Common record header: opcode u8, reserved u8 (0), record size u16 (bytes, multiple of 4).
/** u8 opcode (Op). */
export const REC_OP = 0;
/** u16 record size in bytes, header included. */
export const REC_SIZE = 2;
/** bytes of the common record header. */
export const REC_HEADER_SIZE = 4;

/** How a record's size follows from its fixed part (OpInfo.size). */
export enum Tail {
  /** exactly OpInfo.size bytes */
  None = 0,
  /** plus align4(len), len = the u8 at OpInfo.lenAt */
  Data = 1,
  /** plus 2 * align4(len) */
  Data2 = 2,
  /** mask-xor: plus 2 * align4(len); shifts: plus 4 */
  Bitwise = 3,
  /** plus nested records (DYNSET_EXPR_COUNT of them) */
  Nested = 4,
}

// Operand offsets per opcode; registers are word indices (0..19), NONE8 = absent.
/** Op.Payload: u8 destination register (word index). */
export const PAYLOAD_DREG = 4;
/** Op.Payload: u8 header base (PayloadBase). */
export const PAYLOAD_BASE = 5;
/** Op.Payload: u8 length in bytes. */
export const PAYLOAD_LEN = 6;
/** Op.Payload: u32 byte offset from the base. */
export const PAYLOAD_OFFSET = 8;
/** Op.PayloadSet: u8 source register (word index). */
export const PAYLOAD_SET_SREG = 4;
/** Op.PayloadSet: u8 header base (PayloadBase). */
export const PAYLOAD_SET_BASE = 5;
/** Op.PayloadSet: u8 length in bytes. */
export const PAYLOAD_SET_LEN = 6;
/** Op.PayloadSet: u8 checksum type (PayloadCsum). */
export const PAYLOAD_SET_CSUM_TYPE = 7;
/** Op.PayloadSet: u32 byte offset from the base. */
export const PAYLOAD_SET_OFFSET = 8;
/** Op.PayloadSet: u8 checksum offset within the base. */
export const PAYLOAD_SET_CSUM_OFFSET = 12;
/** Op.PayloadSet: u8 checksum flags (PayloadCsumFlags). */
export const PAYLOAD_SET_CSUM_FLAGS = 13;
/** Op.Cmp: u8 source register (word index). */
export const CMP_SREG = 4;
/** Op.Cmp: u8 operator (CmpOp). */
export const CMP_OP = 5;
/** Op.Cmp: u8 length in bytes. */
export const CMP_LEN = 6;
/** Op.Cmp: the data to compare with, inline. */
export const CMP_DATA = 8;
/** Op.Range: u8 source register (word index). */
export const RANGE_SREG = 4;
/** Op.Range: u8 operator (RangeOp). */
export const RANGE_OP = 5;
/** Op.Range: u8 length in bytes. */
export const RANGE_LEN = 6;
/** Op.Range: lower bound, then the upper bound, inline. */
export const RANGE_FROM = 8;
/** Op.Bitwise: u8 source register (word index). */
export const BITWISE_SREG = 4;
/** Op.Bitwise: u8 destination register (word index). */
export const BITWISE_DREG = 5;
/** Op.Bitwise: u8 length in bytes. */
export const BITWISE_LEN = 6;
/** Op.Bitwise: u8 operation (BitwiseOp). */
export const BITWISE_OP = 7;
/** Op.Bitwise: mask then xor, or the u32 shift. */
export const BITWISE_DATA = 8;
/** Op.Byteorder: u8 source register (word index). */
export const BYTEORDER_SREG = 4;
/** Op.Byteorder: u8 destination register (word index). */
export const BYTEORDER_DREG = 5;
/** Op.Byteorder: u8 operation (ByteorderOp). */
export const BYTEORDER_OP = 6;
/** Op.Byteorder: u8 length in bytes. */
export const BYTEORDER_LEN = 7;
/** Op.Byteorder: u8 element size (2, 4 or 8). */
export const BYTEORDER_SIZE = 8;
/** Op.Meta: u8 destination register (word index). */
export const META_DREG = 4;
/** Op.Meta: u8 key (MetaKey). */
export const META_KEY = 5;
/** Op.MetaSet: u8 source register (word index). */
export const META_SET_SREG = 4;
/** Op.MetaSet: u8 key (MetaKey). */
export const META_SET_KEY = 5;
/** Op.Ct: u8 destination register (word index). */
export const CT_DREG = 4;
/** Op.Ct: u8 key (CtKey). */
export const CT_KEY = 5;
/** Op.Ct: u8 direction (CtDir), NONE8 = none. */
export const CT_DIR = 6;
/** Op.CtSet: u8 source register (word index). */
export const CT_SET_SREG = 4;
/** Op.CtSet: u8 key (CtKey). */
export const CT_SET_KEY = 5;
/** Op.CtSet: u8 direction (CtDir), NONE8 = none. */
export const CT_SET_DIR = 6;
/** Op.Immediate: u8 destination register (word index). */
export const IMMEDIATE_DREG = 4;
/** Op.Immediate: u8 length in bytes. */
export const IMMEDIATE_LEN = 5;
/** Op.Immediate: inline data (a verdict when dreg is 0). */
export const IMMEDIATE_DATA = 8;
// A verdict immediate (dreg 0, len 8) holds the code and the chain index.
/** Op.Immediate: i32 verdict code (Verdict) of a verdict immediate. */
export const IMMEDIATE_VERDICT_CODE = 8;
/** u32 jump/goto chain index, NONE32 = none. */
export const IMMEDIATE_VERDICT_CHAIN = 12;
/** Op.Lookup: u8 source register (word index). */
export const LOOKUP_SREG = 4;
/** Op.Lookup: u8 destination register of a map (word index; 0 for a verdict map, NONE8 for a set). */
export const LOOKUP_DREG = 5;
/** Op.Lookup: u8 flags (LookupFlags). */
export const LOOKUP_FLAGS = 6;
/** Op.Lookup: u32 set index. */
export const LOOKUP_SET = 8;
/** Op.Dynset: u8 key register (word index). */
export const DYNSET_SREG_KEY = 4;
/** Op.Dynset: u8 data register (word index, NONE8 = none). */
export const DYNSET_SREG_DATA = 5;
/** Op.Dynset: u8 operation (DynsetOp). */
export const DYNSET_OP = 6;
/** Op.Dynset: u8 number of nested expression records. */
export const DYNSET_EXPR_COUNT = 7;
/** Op.Dynset: u32 set index. */
export const DYNSET_SET = 8;
/** Op.Dynset: u64 timeout in ms, 0 = the set's. */
export const DYNSET_TIMEOUT = 12;
/** Op.Counter: u64 packets. */
export const COUNTER_PKTS = 8;
/** Op.Counter: u64 bytes. */
export const COUNTER_BYTES = 16;
/** Op.Limit: u8 type (LimitType). */
export const LIMIT_TYPE = 4;
/** Op.Limit: u8 flags (LimitFlags). */
export const LIMIT_FLAGS = 5;
/** Op.Limit: u64 rate per unit. */
export const LIMIT_RATE = 8;
/** Op.Limit: u64 burst. */
export const LIMIT_BURST = 16;
/** Op.Limit: u32 period in seconds. */
export const LIMIT_UNIT = 24;
/** Op.Quota: u8 flags (QuotaFlags). */
export const QUOTA_FLAGS = 4;
/** Op.Quota: u64 quota in bytes. */
export const QUOTA_BYTES = 8;
/** Op.Quota: u64 bytes consumed. */
export const QUOTA_CONSUMED = 16;
/** Op.Log: u8 attributes present (LogHas). */
export const LOG_HAS = 4;
/** Op.Log: u8 syslog level. */
export const LOG_LEVEL = 5;
/** Op.Log: u8 flags (NF_LOG_*). */
export const LOG_FLAGS = 6;
/** Op.Log: string offset of the prefix. */
export const LOG_PREFIX = 8;
/** Op.Log: u16 nflog group. */
export const LOG_GROUP = 12;
/** Op.Log: u16 nflog queue threshold. */
export const LOG_QTHRESHOLD = 14;
/** Op.Log: u32 nflog snapshot length. */
export const LOG_SNAPLEN = 16;
/** Op.Reject: u8 type (RejectType). */
export const REJECT_TYPE = 4;
/** Op.Reject: u8 ICMP or ICMPX code. */
export const REJECT_CODE = 5;
/** Op.Nat: u8 type (NatType). */
export const NAT_TYPE = 4;
/** Op.Nat: u8 family (Family). */
export const NAT_FAMILY = 5;
/** Op.Nat: u16 range flags (NatRangeFlags). */
export const NAT_FLAGS = 6;
/** Op.Nat: u8 register of the lowest address (word index, NONE8 = none). */
export const NAT_REG_ADDR_MIN = 8;
/** Op.Nat: u8 register of the highest address (word index, NONE8 = none). */
export const NAT_REG_ADDR_MAX = 9;
/** Op.Nat: u8 register of the lowest port (word index, NONE8 = none). */
export const NAT_REG_PROTO_MIN = 10;
/** Op.Nat: u8 register of the highest port (word index, NONE8 = none). */
export const NAT_REG_PROTO_MAX = 11;
/** Op.Masq: u8 register of the lowest port (word index, NONE8 = none). */
export const MASQ_REG_PROTO_MIN = 4;
/** Op.Masq: u8 register of the highest port (word index, NONE8 = none). */
export const MASQ_REG_PROTO_MAX = 5;
/** Op.Masq: u16 range flags (NatRangeFlags). */
export const MASQ_FLAGS = 6;
/** Op.Redir: u8 register of the lowest port (word index, NONE8 = none). */
export const REDIR_REG_PROTO_MIN = 4;
/** Op.Redir: u8 register of the highest port (word index, NONE8 = none). */
export const REDIR_REG_PROTO_MAX = 5;
/** Op.Redir: u16 range flags (NatRangeFlags). */
export const REDIR_FLAGS = 6;
/** Op.Queue: u8 register holding the queue number (word index, NONE8 = none). */
export const QUEUE_SREG_QNUM = 4;
/** Op.Queue: u8 flags (QueueFlags). */
export const QUEUE_FLAGS = 5;
/** Op.Queue: u16 number of queues. */
export const QUEUE_TOTAL = 6;
/** Op.Queue: u16 first queue number. */
export const QUEUE_NUM = 8;
/** Op.Objref: u8 object type (ObjectType). */
export const OBJREF_TYPE = 4;
/** Op.Objref: u32 object index. */
export const OBJREF_OBJ = 8;
/** Op.ObjrefMap: u8 source register (word index). */
export const OBJREF_MAP_SREG = 4;
/** Op.ObjrefMap: u32 set index. */
export const OBJREF_MAP_SET = 8;
/** Op.Exthdr: u8 destination register (word index). */
export const EXTHDR_DREG = 4;
/** Op.Exthdr: u8 header family (ExthdrOp). */
export const EXTHDR_OP = 5;
/** Op.Exthdr: u8 header or option type. */
export const EXTHDR_TYPE = 6;
/** Op.Exthdr: u8 length in bytes. */
export const EXTHDR_LEN = 7;
/** Op.Exthdr: u16 byte offset in the header. */
export const EXTHDR_OFFSET = 8;
/** Op.Exthdr: u8 flags (ExthdrFlags). */
export const EXTHDR_FLAGS = 10;
/** Op.ExthdrSet: u8 source register (word index). */
export const EXTHDR_SET_SREG = 4;
/** Op.ExthdrSet: u8 header family (ExthdrOp). */
export const EXTHDR_SET_OP = 5;
/** Op.ExthdrSet: u8 option type. */
export const EXTHDR_SET_TYPE = 6;
/** Op.ExthdrSet: u8 length in bytes. */
export const EXTHDR_SET_LEN = 7;
/** Op.ExthdrSet: u16 byte offset in the option. */
export const EXTHDR_SET_OFFSET = 8;
/** Op.Fib: u8 destination register (word index). */
export const FIB_DREG = 4;
/** Op.Fib: u8 result (FibResult). */
export const FIB_RESULT = 5;
/** Op.Fib: u8 flags (FibFlags). */
export const FIB_FLAGS = 6;
/** Op.Rt: u8 destination register (word index). */
export const RT_DREG = 4;
/** Op.Rt: u8 key (RtKey). */
export const RT_KEY = 5;
/** Op.Numgen: u8 destination register (word index). */
export const NUMGEN_DREG = 4;
/** Op.Numgen: u8 type (NumgenType). */
export const NUMGEN_TYPE = 5;
/** Op.Numgen: u32 modulus. */
export const NUMGEN_MODULUS = 8;
/** Op.Numgen: u32 added to the result. */
export const NUMGEN_OFFSET = 12;
/** Op.Hash: u8 destination register (word index). */
export const HASH_DREG = 4;
/** Op.Hash: u8 source register (word index). */
export const HASH_SREG = 5;
/** Op.Hash: u8 length in bytes. */
export const HASH_LEN = 6;
/** Op.Hash: u8 type (HashType). */
export const HASH_TYPE = 7;
/** Op.Hash: u32 modulus. */
export const HASH_MODULUS = 8;
/** Op.Hash: u32 seed. */
export const HASH_SEED = 12;
/** Op.Hash: u32 added to the result. */
export const HASH_OFFSET = 16;
/** Op.Socket: u8 destination register (word index). */
export const SOCKET_DREG = 4;
/** Op.Socket: u8 key (SocketKey). */
export const SOCKET_KEY = 5;
/** Op.Socket: u8 cgroupv2 ancestor level. */
export const SOCKET_LEVEL = 6;
/** Op.Osf: u8 destination register (word index). */
export const OSF_DREG = 4;
/** Op.Osf: u8 ttl mode. */
export const OSF_TTL = 5;
/** Op.Osf: u8 flags (1 = version). */
export const OSF_FLAGS = 6;
/** Op.Xfrm: u8 destination register (word index). */
export const XFRM_DREG = 4;
/** Op.Xfrm: u8 key (XfrmKey). */
export const XFRM_KEY = 5;
/** Op.Xfrm: u8 direction (0 in, 1 out). */
export const XFRM_DIR = 6;
/** Op.Xfrm: u32 security path index. */
export const XFRM_SPNUM = 8;
/** Op.Tproxy: u8 family (Family, 0 = any). */
export const TPROXY_FAMILY = 4;
/** Op.Tproxy: u8 register of the address (word index, NONE8 = none). */
export const TPROXY_REG_ADDR = 5;
/** Op.Tproxy: u8 register of the port (word index, NONE8 = none). */
export const TPROXY_REG_PORT = 6;
/** Op.Dup: u8 register of the address (word index, NONE8 = none). */
export const DUP_REG_ADDR = 4;
/** Op.Dup: u8 register of the interface index (word index). */
export const DUP_REG_DEV = 5;
/** Op.Fwd: u8 register of the interface index (word index). */
export const FWD_REG_DEV = 4;
/** Op.Fwd: u8 register of the address (word index, NONE8 = none). */
export const FWD_REG_ADDR = 5;
/** Op.Fwd: u8 family of the next hop, NONE8 = none. */
export const FWD_FAMILY = 6;
/** Op.Synproxy: u8 window scale. */
export const SYNPROXY_WSCALE = 4;
/** Op.Synproxy: u8 flags (kept 0 for now). */
export const SYNPROXY_FLAGS = 5;
/** Op.Synproxy: u16 maximum segment size. */
export const SYNPROXY_MSS = 6;
/** Op.Connlimit: u8 flags (1 = over). */
export const CONNLIMIT_FLAGS = 4;
/** Op.Connlimit: u32 connection limit. */
export const CONNLIMIT_COUNT = 8;
/** Op.Last: u8 1 once a packet has run it (`last used never` while 0). */
export const LAST_SET = 4;
/** Op.Last: u64 packet time (ns) of the last packet that ran it. */
export const LAST_TIME = 8;
/** Op.FlowOffload: string offset of the flowtable name. */
export const FLOW_OFFLOAD_NAME = 8;
/** Op.CtTimeoutObj: u8 L3 protocol (NFPROTO_*, 0 = any). */
export const CT_TIMEOUT_OBJ_L3PROTO = 4;
/** Op.CtTimeoutObj: u8 L4 protocol (6 tcp, 17 udp). */
export const CT_TIMEOUT_OBJ_L4PROTO = 5;
/** Op.CtTimeoutObj: u8 bytes of the timeouts that follow (4 per state). */
export const CT_TIMEOUT_OBJ_LEN = 6;
/** Op.CtTimeoutObj: u32 seconds per state, in the kernel's order (tcp: CtTimeout.TcpSynSent.., udp: unreplied, replied). */
export const CT_TIMEOUT_OBJ_TIMEOUTS = 8;
/** Op.CtHelperObj: u8 L3 protocol (NFPROTO_*; inet = both). */
export const CT_HELPER_OBJ_L3PROTO = 4;
/** Op.CtHelperObj: u8 L4 protocol. */
export const CT_HELPER_OBJ_L4PROTO = 5;
/** Op.CtHelperObj: u8 CtHelper. */
export const CT_HELPER_OBJ_HELPER = 6;
/** Kernel conntrack helpers a ct helper object can name (NFTA_CT_HELPER_NAME); the VM runs Ftp. */
export enum CtHelper {
  None = 0,
  Ftp = 1,
  Tftp = 2,
  Irc = 3,
  Sip = 4,
  Sane = 5,
  Amanda = 6,
  Pptp = 7,
  SnmpTrap = 8,
  NetbiosNs = 9,
  H323 = 10,
}

/** One row of the opcode table: names, record size rule and operand layout. */
export class OpInfo {
  constructor(
    /** the opcode (equals the row's index) */
    readonly op: i32,
    /** kernel expression type, as printed in `[ NAME ... ]` */
    readonly expr: string,
    /** kernel ops structure(s), for grep */
    readonly ops: string,
    /** fixed part in bytes, header included (multiple of 4) */
    readonly size: i32,
    /** how the variable part's size is found */
    readonly tail: Tail,
    /** offset of the u8 data length for Tail.Data/Data2/Bitwise, else 0 */
    readonly lenAt: i32,
    /** operands: `name:type@offset`, after the 4-byte header */
    readonly layout: string,
  ) {}
}

/** The opcode table, indexed by Op (row 0 is the invalid opcode). */
export const OPS: OpInfo[] = [
  new OpInfo(0, '', '', 0, Tail.None, 0, ''),
  new OpInfo(Op.Payload, 'payload', 'nft_payload_ops', 12, Tail.None, 0, 'dreg:u8@4 base:u8@5 len:u8@6 offset:u32@8'),
  new OpInfo(Op.PayloadSet, 'payload', 'nft_payload_set_ops', 16, Tail.None, 0, 'sreg:u8@4 base:u8@5 len:u8@6 csum_type:u8@7 offset:u32@8 csum_offset:u8@12 csum_flags:u8@13'),
  new OpInfo(Op.Cmp, 'cmp', 'nft_cmp_ops', 8, Tail.Data, CMP_LEN, 'sreg:u8@4 op:u8@5 len:u8@6 data:bytes@8'),
  new OpInfo(Op.Range, 'range', 'nft_range_ops', 8, Tail.Data2, RANGE_LEN, 'sreg:u8@4 op:u8@5 len:u8@6 from:bytes@8 (to follows from)'),
  new OpInfo(Op.Bitwise, 'bitwise', 'nft_bitwise_ops', 8, Tail.Bitwise, BITWISE_LEN, 'sreg:u8@4 dreg:u8@5 len:u8@6 op:u8@7 data:bytes@8 (mask then xor, or a u32 shift)'),
  new OpInfo(Op.Byteorder, 'byteorder', 'nft_byteorder_ops', 12, Tail.None, 0, 'sreg:u8@4 dreg:u8@5 op:u8@6 len:u8@7 size:u8@8'),
  new OpInfo(Op.Meta, 'meta', 'nft_meta_get_ops', 8, Tail.None, 0, 'dreg:u8@4 key:u8@5'),
  new OpInfo(Op.MetaSet, 'meta', 'nft_meta_set_ops', 8, Tail.None, 0, 'sreg:u8@4 key:u8@5'),
  new OpInfo(Op.Ct, 'ct', 'nft_ct_get_ops', 8, Tail.None, 0, 'dreg:u8@4 key:u8@5 dir:u8@6'),
  new OpInfo(Op.CtSet, 'ct', 'nft_ct_set_ops', 8, Tail.None, 0, 'sreg:u8@4 key:u8@5 dir:u8@6'),
  new OpInfo(Op.Immediate, 'immediate', 'nft_imm_ops', 8, Tail.Data, IMMEDIATE_LEN, 'dreg:u8@4 len:u8@5 data:bytes@8 (dreg 0: verdict_code:i32@8 verdict_chain:u32@12)'),
  new OpInfo(Op.Lookup, 'lookup', 'nft_lookup_ops', 12, Tail.None, 0, 'sreg:u8@4 dreg:u8@5 flags:u8@6 set:u32@8'),
  new OpInfo(Op.Dynset, 'dynset', 'nft_dynset_ops', 20, Tail.Nested, 0, 'sreg_key:u8@4 sreg_data:u8@5 op:u8@6 expr_count:u8@7 set:u32@8 timeout:u64@12'),
  new OpInfo(Op.Counter, 'counter', 'nft_counter_ops', 24, Tail.None, 0, 'pkts:u64@8 bytes:u64@16'),
  new OpInfo(Op.Limit, 'limit', 'nft_limit_pkts_ops, nft_limit_bytes_ops', 28, Tail.None, 0, 'type:u8@4 flags:u8@5 rate:u64@8 burst:u64@16 unit:u32@24'),
  new OpInfo(Op.Quota, 'quota', 'nft_quota_ops', 24, Tail.None, 0, 'flags:u8@4 bytes:u64@8 consumed:u64@16'),
  new OpInfo(Op.Log, 'log', 'nft_log_ops', 20, Tail.None, 0, 'has:u8@4 level:u8@5 flags:u8@6 prefix:str@8 group:u16@12 qthreshold:u16@14 snaplen:u32@16'),
  new OpInfo(Op.Reject, 'reject', 'nft_reject_inet_ops', 8, Tail.None, 0, 'type:u8@4 code:u8@5'),
  new OpInfo(Op.Nat, 'nat', 'nft_nat_ops', 12, Tail.None, 0, 'type:u8@4 family:u8@5 flags:u16@6 reg_addr_min:u8@8 reg_addr_max:u8@9 reg_proto_min:u8@10 reg_proto_max:u8@11'),
  new OpInfo(Op.Masq, 'masq', 'nft_masq_ipv4_ops', 8, Tail.None, 0, 'reg_proto_min:u8@4 reg_proto_max:u8@5 flags:u16@6'),
  new OpInfo(Op.Redir, 'redir', 'nft_redir_ipv4_ops', 8, Tail.None, 0, 'reg_proto_min:u8@4 reg_proto_max:u8@5 flags:u16@6'),
  new OpInfo(Op.Notrack, 'notrack', 'nft_notrack_ops', 4, Tail.None, 0, ''),
  new OpInfo(Op.Queue, 'queue', 'nft_queue_ops, nft_queue_sreg_ops', 12, Tail.None, 0, 'sreg_qnum:u8@4 flags:u8@5 total:u16@6 num:u16@8'),
  new OpInfo(Op.Objref, 'objref', 'nft_objref_ops', 12, Tail.None, 0, 'type:u8@4 obj:u32@8'),
  new OpInfo(Op.ObjrefMap, 'objref', 'nft_objref_map_ops', 12, Tail.None, 0, 'sreg:u8@4 set:u32@8'),
  new OpInfo(Op.Exthdr, 'exthdr', 'nft_exthdr_ipv6_ops, nft_exthdr_tcp_ops, nft_exthdr_ipv4_ops, nft_exthdr_sctp_ops', 12, Tail.None, 0, 'dreg:u8@4 op:u8@5 type:u8@6 len:u8@7 offset:u16@8 flags:u8@10'),
  new OpInfo(Op.ExthdrSet, 'exthdr', 'nft_exthdr_tcp_set_ops', 12, Tail.None, 0, 'sreg:u8@4 op:u8@5 type:u8@6 len:u8@7 offset:u16@8'),
  new OpInfo(Op.Fib, 'fib', 'nft_fib4_ops, nft_fib6_ops, nft_fib_inet_ops', 8, Tail.None, 0, 'dreg:u8@4 result:u8@5 flags:u8@6'),
  new OpInfo(Op.Rt, 'rt', 'nft_rt_get_ops', 8, Tail.None, 0, 'dreg:u8@4 key:u8@5'),
  new OpInfo(Op.Numgen, 'numgen', 'nft_ng_inc_ops, nft_ng_random_ops', 16, Tail.None, 0, 'dreg:u8@4 type:u8@5 modulus:u32@8 offset:u32@12'),
  new OpInfo(Op.Hash, 'hash', 'nft_jhash_ops, nft_symhash_ops', 20, Tail.None, 0, 'dreg:u8@4 sreg:u8@5 len:u8@6 type:u8@7 modulus:u32@8 seed:u32@12 offset:u32@16'),
  new OpInfo(Op.Socket, 'socket', 'nft_socket_ops', 8, Tail.None, 0, 'dreg:u8@4 key:u8@5 level:u8@6'),
  new OpInfo(Op.Osf, 'osf', 'nft_osf_op', 8, Tail.None, 0, 'dreg:u8@4 ttl:u8@5 flags:u8@6'),
  new OpInfo(Op.Xfrm, 'xfrm', 'nft_xfrm_get_ops', 12, Tail.None, 0, 'dreg:u8@4 key:u8@5 dir:u8@6 spnum:u32@8'),
  new OpInfo(Op.Tproxy, 'tproxy', 'nft_tproxy_ops', 8, Tail.None, 0, 'family:u8@4 reg_addr:u8@5 reg_port:u8@6'),
  new OpInfo(Op.Dup, 'dup', 'nft_dup_ipv4_ops, nft_dup_ipv6_ops, nft_dup_netdev_ops', 8, Tail.None, 0, 'reg_addr:u8@4 reg_dev:u8@5'),
  new OpInfo(Op.Fwd, 'fwd', 'nft_fwd_netdev_ops, nft_fwd_neigh_netdev_ops', 8, Tail.None, 0, 'reg_dev:u8@4 reg_addr:u8@5 family:u8@6'),
  new OpInfo(Op.Synproxy, 'synproxy', 'nft_synproxy_ops', 8, Tail.None, 0, 'wscale:u8@4 flags:u8@5 mss:u16@6'),
  new OpInfo(Op.Connlimit, 'connlimit', 'nft_connlimit_ops', 12, Tail.None, 0, 'flags:u8@4 count:u32@8'),
  new OpInfo(Op.Last, 'last', 'nft_last_ops', 16, Tail.None, 0, 'set:u8@4 time:u64@8'),
  new OpInfo(Op.FlowOffload, 'flow_offload', 'nft_flow_offload_ops', 12, Tail.None, 0, 'name:str@8'),
  new OpInfo(Op.CtTimeoutObj, 'ct_timeout', 'nft_ct_timeout_obj_ops', 8, Tail.Data, CT_TIMEOUT_OBJ_LEN, 'l3proto:u8@4 l4proto:u8@5 len:u8@6 timeouts:bytes@8'),
  new OpInfo(Op.CtHelperObj, 'ct_helper', 'nft_ct_helper_obj_ops', 8, Tail.None, 0, 'l3proto:u8@4 l4proto:u8@5 helper:u8@6'),
];

// ---------------------------------------------------------------------------
// The verifier's operand tables (assembly/verify.ts)

/** How an instruction uses a register operand. */
export enum RegRole {
  /** reads len bytes: every word touched must have been written earlier in the rule */
  Load = 1,
  /** writes len bytes into data words 4..19 */
  Store = 2,
  /** writes len bytes; word 0 (the verdict) is allowed for verdict data */
  StoreVerdict = 3,
  /** flag: NONE8 means the operand is absent */
  Optional = 0x10,
}

/** Where the verifier finds the byte length of a register operand. */
export enum RegLen {
  /** the row's argument is the length */
  Fixed = 0,
  /** a u8 at the argument's record offset */
  U8At = 1,
  /** META_KEY_LEN of the meta key at offset 5 */
  MetaKey = 2,
  /** the key length of the set whose u32 index is at the argument's offset */
  SetKey = 3,
  /** the data length of that set (8 for a verdict map) */
  SetData = 4,
  /** FIB_RESULT_LEN of the fib result at offset 5 */
  FibResult = 5,
  /** 4 or 16 by the Family at the argument's offset (0 = the table's family) */
  Addr = 6,
  /** CT_KEY_LEN of the ct key at offset 5 */
  CtKey = 7,
  /** RT_KEY_LEN of the rt key at offset 5 */
  RtKey = 8,
  /** HASH_LEN, or no operand at all for symhash (HASH_TYPE Sym) */
  HashSreg = 9,
}

/** Columns of one REG_OPERANDS row. */
export const REG_OPERAND_COLS = 5;
/**
 * Register operands of every opcode, REG_OPERAND_COLS numbers per row: opcode,
 * record offset of the u8 register (word index, NONE8 = absent), RegRole,
 * RegLen, argument. The kernel's nft_parse_register_load/store calls.
 */
export const REG_OPERANDS: i32[] = [
  Op.Payload, PAYLOAD_DREG, RegRole.Store, RegLen.U8At, PAYLOAD_LEN,
  Op.PayloadSet, PAYLOAD_SET_SREG, RegRole.Load, RegLen.U8At, PAYLOAD_SET_LEN,
  Op.Cmp, CMP_SREG, RegRole.Load, RegLen.U8At, CMP_LEN,
  Op.Range, RANGE_SREG, RegRole.Load, RegLen.U8At, RANGE_LEN,
  Op.Bitwise, BITWISE_SREG, RegRole.Load, RegLen.U8At, BITWISE_LEN,
  Op.Bitwise, BITWISE_DREG, RegRole.Store, RegLen.U8At, BITWISE_LEN,
  Op.Byteorder, BYTEORDER_SREG, RegRole.Load, RegLen.U8At, BYTEORDER_LEN,
  Op.Byteorder, BYTEORDER_DREG, RegRole.Store, RegLen.U8At, BYTEORDER_LEN,
  Op.Meta, META_DREG, RegRole.Store, RegLen.MetaKey, 0,
  Op.MetaSet, META_SET_SREG, RegRole.Load, RegLen.MetaKey, 0,
  Op.Ct, CT_DREG, RegRole.Store, RegLen.CtKey, 0,
  Op.CtSet, CT_SET_SREG, RegRole.Load, RegLen.CtKey, 0,
  Op.Immediate, IMMEDIATE_DREG, RegRole.StoreVerdict, RegLen.U8At, IMMEDIATE_LEN,
  Op.Lookup, LOOKUP_SREG, RegRole.Load, RegLen.SetKey, LOOKUP_SET,
  Op.Lookup, LOOKUP_DREG, RegRole.StoreVerdict | RegRole.Optional, RegLen.SetData, LOOKUP_SET,
  Op.Dynset, DYNSET_SREG_KEY, RegRole.Load, RegLen.SetKey, DYNSET_SET,
  Op.Dynset, DYNSET_SREG_DATA, RegRole.Load | RegRole.Optional, RegLen.SetData, DYNSET_SET,
  Op.Nat, NAT_REG_ADDR_MIN, RegRole.Load | RegRole.Optional, RegLen.Addr, NAT_FAMILY,
  Op.Nat, NAT_REG_ADDR_MAX, RegRole.Load | RegRole.Optional, RegLen.Addr, NAT_FAMILY,
  Op.Nat, NAT_REG_PROTO_MIN, RegRole.Load | RegRole.Optional, RegLen.Fixed, 2,
  Op.Nat, NAT_REG_PROTO_MAX, RegRole.Load | RegRole.Optional, RegLen.Fixed, 2,
  Op.Masq, MASQ_REG_PROTO_MIN, RegRole.Load | RegRole.Optional, RegLen.Fixed, 2,
  Op.Masq, MASQ_REG_PROTO_MAX, RegRole.Load | RegRole.Optional, RegLen.Fixed, 2,
  Op.Redir, REDIR_REG_PROTO_MIN, RegRole.Load | RegRole.Optional, RegLen.Fixed, 2,
  Op.Redir, REDIR_REG_PROTO_MAX, RegRole.Load | RegRole.Optional, RegLen.Fixed, 2,
  Op.Queue, QUEUE_SREG_QNUM, RegRole.Load | RegRole.Optional, RegLen.Fixed, 4,
  Op.ObjrefMap, OBJREF_MAP_SREG, RegRole.Load, RegLen.SetKey, OBJREF_MAP_SET,
  Op.Exthdr, EXTHDR_DREG, RegRole.Store, RegLen.U8At, EXTHDR_LEN,
  Op.ExthdrSet, EXTHDR_SET_SREG, RegRole.Load, RegLen.U8At, EXTHDR_SET_LEN,
  Op.Fib, FIB_DREG, RegRole.Store, RegLen.FibResult, 0,
  Op.Rt, RT_DREG, RegRole.Store, RegLen.RtKey, 0,
  Op.Numgen, NUMGEN_DREG, RegRole.Store, RegLen.Fixed, 4,
  Op.Hash, HASH_SREG, RegRole.Load, RegLen.HashSreg, HASH_LEN,
  Op.Hash, HASH_DREG, RegRole.Store, RegLen.Fixed, 4,
  Op.Socket, SOCKET_DREG, RegRole.Store, RegLen.Fixed, 4,
  Op.Osf, OSF_DREG, RegRole.Store, RegLen.Fixed, 16,
  Op.Xfrm, XFRM_DREG, RegRole.Store, RegLen.Fixed, 4,
  Op.Tproxy, TPROXY_REG_ADDR, RegRole.Load | RegRole.Optional, RegLen.Addr, TPROXY_FAMILY,
  Op.Tproxy, TPROXY_REG_PORT, RegRole.Load | RegRole.Optional, RegLen.Fixed, 2,
  Op.Dup, DUP_REG_ADDR, RegRole.Load | RegRole.Optional, RegLen.Addr, 0,
  Op.Dup, DUP_REG_DEV, RegRole.Load | RegRole.Optional, RegLen.Fixed, 4,
  Op.Fwd, FWD_REG_DEV, RegRole.Load, RegLen.Fixed, 4,
  Op.Fwd, FWD_REG_ADDR, RegRole.Load | RegRole.Optional, RegLen.Addr, FWD_FAMILY,
];

/** Register bytes of each meta key, indexed by MetaKey (kernel: nft_meta_get_init). */
export const META_KEY_LEN: i32[] = [
  4, 2, 4, 4, 4, 4, 16, 16, 2, 2, // len protocol priority mark iif oif iifname oifname iiftype oiftype
  4, 4, 1, 4, 4, 1, 1, 16, 16, 1, // skuid skgid nftrace rtclassid secmark nfproto l4proto bri_iifname bri_oifname pkttype
  4, 4, 4, 4, 4, 1, 16, 16, 2, 2, // cpu iifgroup oifgroup cgroup prandom secpath iifkind oifkind bri_iifpvid bri_iifvproto
  8, 1, 4, 4, 16, 1, //              time day hour sdif sdifname broute
];
/** Register bytes of each ct key, indexed by CtKey; 0 = by family (src, dst: 4 or 16). */
export const CT_KEY_LEN: i32[] = [4, 1, 4, 4, 4, 4, 16, 1, 0, 0, 1, 2, 2, 16, 8, 8, 8, 2, 4, 4, 4, 16, 16, 4];
/** Register bytes of each rt key, indexed by RtKey. */
export const RT_KEY_LEN: i32[] = [4, 4, 16, 2, 1];
/** Register bytes of each fib result, indexed by FibResult. */
export const FIB_RESULT_LEN: i32[] = [0, 4, 16, 4];

// ---------------------------------------------------------------------------
// The VM's memory interface (docs/vm.md). Offsets are bytes from the start of
// the area named by the prefix; the module exports each area's address.

/** Load-time specialisations: VM-private opcodes in the VM's copy of the code, never in an image. */
export enum FastOp {
  /** nft_payload_fast_ops: aligned 1/2/4-byte network or transport load (no fragment check) */
  PayloadFast = 0x40,
  /** nft_cmp_fast_ops: eq / neq on at most 4 bytes, data pre-masked */
  CmpFast = 0x41,
  /** PayloadFast fused with the CmpFast after it on the same register (u8 at byte 1: bytes of both records) */
  PayloadCmpFast = 0x42,
  /** meta load of a scalar key fused with the CmpFast after it on the same register (byte 1 as above) */
  MetaCmpFast = 0x43,
  /** immediate of a verdict (dreg 0) */
  ImmVerdict = 0x44,
  /** cmp eq / neq on 5..16 bytes, compared as masked 64-bit words (data tail zeroed, masks at CMP_DATA + 16) */
  CmpWide = 0x45,
  /** MetaCmpFast of meta l4proto (the most common rule guard) */
  MetaL4protoCmpFast = 0x46,
  /** lookup in a hash set of keys ≤ 4 bytes: no map data, not inverted, no catch-all */
  LookupHashFast = 0x47,
}
/** Op.Limit, VM copy only: u16 index of the token-bucket state slot (0 in images). */
export const LIMIT_VM_STATE = 6;
/** Op.Numgen, VM copy only: u16 index of the counter state slot (0 in images). */
export const NUMGEN_VM_STATE = 6;
/** Bytes of one VM state slot. */
export const VM_STATE_SLOT_SIZE = 32;

/** Why `load()` refused an image; details in the VM_ERR_* words (src/vm-errors.ts prints them). */
export enum LoadError {
  /** loaded and committed */
  Ok = 0,
  /** header: ARG1 = 1 magic, 2 version, 3 size, 4 section table; ARG2 = the value found */
  BadHeader = 1,
  /** a record or section runs past its end: ARG1 = file offset */
  Truncated = 2,
  /** ARG1 = opcode */
  UnknownOpcode = 3,
  /** ARG1 = opcode, ARG2 = record size, ARG3 = size its operands need */
  RecordSize = 4,
  /** register out of the file: ARG1 = word, ARG2 = length */
  BadRegister = 5,
  /** a store into the verdict words that is not verdict data: ARG1 = word, ARG2 = length */
  VerdictRegister = 6,
  /** a load from words no earlier instruction of the rule wrote: ARG1 = word, ARG2 = length */
  UninitRegister = 7,
  /** an operand out of range: ARG1 = opcode, ARG2 = record offset of the operand, ARG3 = value */
  BadOperand = 8,
  /** ARG1 = set index */
  BadSet = 9,
  /** the register length disagrees with the set: ARG1 = set index, ARG2 = set length, ARG3 = 1 key, 2 data */
  SetMismatch = 10,
  /** ARG1 = chain index */
  BadChain = 11,
  /** jump or goto to a base chain: ARG1 = chain index */
  JumpToBase = 12,
  /** reference into another table: ARG1 = index, ARG2 = 1 chain, 2 set, 3 object */
  OtherTable = 13,
  /** verdict code not allowed: ARG1 = code */
  BadVerdict = 14,
  /** EMLINK: a base chain reaches 16 levels of jumps: ARG1 = chain index */
  TooManyLinks = 15,
  /** the VM does not execute this instruction yet: ARG1 = opcode */
  Unsupported = 16,
  /** the VM does not support this key or mode: ARG1 = opcode, ARG2 = key or mode */
  UnsupportedKey = 17,
  /** the ruleset area is too small: ARG1 = bytes needed, ARG2 = bytes available */
  OutOfMemory = 18,
  /** ARG1 = object index */
  BadObject = 19,
  /** malformed element: ARG1 = set index, ARG2 = element index */
  BadElement = 20,
  /** bad string reference: ARG1 = string offset */
  BadString = 21,
  /** bad table record or family: ARG1 = table index, ARG2 = family */
  BadTable = 22,
  /** bad chain record: ARG1 = chain index, ARG2 = 1 hook, 2 policy, 3 flags, 4 type */
  BadChainRecord = 23,
  /** a ct or nat expression on an engine without a conntrack table (created with conntrack: false): ARG1 = opcode */
  NoConntrack = 24,
  /** an in-place commit (commit.ts) that does not fit the active ruleset's spare room, or is not one it makes in place (jumps, element expressions, ...): the host loads the whole ruleset instead. ARG1 = what (CommitNoRoom) */
  NoRoom = 25,
  /** an in-place commit names a rule (ARG1 = handle) or an element the chain or set does not hold */
  NoSuchObject = 26,
  /** an expression whose state packets update (limit, quota, numgen inc, dynset, connlimit, a quota or limit object) on an engine whose memory evaluators on other threads share: ARG1 = opcode */
  SharedState = 27,
}

/** What VM_ERR_WHERE points at. */
export enum LoadWhere {
  /** the image as a whole */
  Image = 0,
  /** insn VM_ERR_INSN of the rule with handle VM_ERR_RULE */
  Rule = 1,
  /** set VM_ERR_INDEX */
  Set = 2,
  /** chain VM_ERR_INDEX */
  Chain = 3,
  /** object VM_ERR_INDEX */
  Object = 4,
  /** table VM_ERR_INDEX */
  Table = 5,
  /** expression VM_ERR_INSN of element VM_ERR_ELEM of set VM_ERR_INDEX */
  Element = 6,
}

// Control block (exported by ctl()): the load error, then VM state.
/** u32 LoadError of the last load. */
export const VM_ERR_KIND = 0;
/** u32 LoadWhere. */
export const VM_ERR_WHERE = 4;
/** u32 rule handle. */
export const VM_ERR_RULE = 8;
/** u32 instruction index in the rule (from 0). */
export const VM_ERR_INSN = 12;
/** u32 chain, set, object or table index. */
export const VM_ERR_INDEX = 16;
/** u32 element index. */
export const VM_ERR_ELEM = 20;
/** u32 first detail (see LoadError). */
export const VM_ERR_ARG1 = 24;
/** u32 second detail. */
export const VM_ERR_ARG2 = 28;
/** u32 third detail. */
export const VM_ERR_ARG3 = 32;
/** u32 address of the active ruleset (0 = none loaded). */
export const VM_ACTIVE = 40;
/** u32 address of the active ruleset's copy of the image's code section (counters live here). */
export const VM_CODE = 44;
/**
 * u32 generation counter, a sequence lock: a commit makes it odd while it
 * switches VM_ACTIVE or VM_GEN_CURSOR and even again after, so a reader on
 * another thread takes (VM_ACTIVE, VM_GEN_CURSOR) of one generation. Half of
 * it counts the commits so far.
 */
export const VM_GENERATION = 48;
/** u32 the generation cursor (0 or 1; kernel: nft_net->gencursor): the generation packets see. Read once per packet; a commit flips it. */
export const VM_GEN_CURSOR = 52;
/** u64 state of the pseudo-random generator (meta random, numgen random); the host may seed it. */
export const VM_PRNG = 56;
/** u64 packet time of the first packet the active ruleset saw (0: none yet): its element timeouts count from it (set/set.ts). */
export const VM_SET_EPOCH = 64;
/** u32 address of the host model, for evaluators attached to this memory (workerAttach). */
export const VM_HOST = 72;
/** u32 1 when evaluators on other threads share this memory (setShared): commits then never move what a packet may be reading. */
export const VM_SHARED = 76;
/** u32 per attached evaluator (WORKERS_MAX of them): 0 while it is between batches, else 1 + the VM_GENERATION it read when its batch began. The committer's grace period waits on these (the kernel's RCU). */
export const VM_WORKER_EPOCHS = 80;
/** Evaluators that can attach to one memory. */
export const WORKERS_MAX = 16;
/** bytes of the control block. */
export const VM_CTL_SIZE = 160;

/** Batch flags (BATCH_FLAGS). */
export enum BatchFlags {
  /** record trace events for every packet */
  TraceAll = 0x1,
  /** record trace events for packets with nftrace set, as the kernel does */
  TraceNftrace = 0x2,
  /** record conntrack events (RecordKind.CtEvent) */
  CtEvents = 0x4,
}
// Batch area header; descriptors follow at BATCH_HEADER_SIZE, results and
// packet bytes where the header says (offsets from the batch area).
/** u32 number of packets. */
export const BATCH_COUNT = 0;
/** u32 BatchFlags. */
export const BATCH_FLAGS = 4;
/** u32 offset of the result records. */
export const BATCH_RESULTS = 8;
/** bytes of the batch header; descriptor k is at BATCH_HEADER_SIZE + k * PKT_SIZE. */
export const BATCH_HEADER_SIZE = 16;

/** Descriptor flags (PKT_FLAGS). */
export enum PktFlags {
  /** the bytes start with an Ethernet header (received frame) */
  Ether = 0x1,
  /** the packet has a local socket: skuid / skgid valid */
  Socket = 0x2,
  /** the skb's nf_trace bit is already set (by an earlier hook of the same skb: netdev ingress, bridge) */
  Nftrace = 0x4,
  /** the host forwards packets of this family (ip_forward): where a packet DNATed away from the host goes */
  Forwarding = 0x8,
  /** the skb already carries a conntrack entry (PKT_CT_ENTRY, PKT_CTINFO): local traffic looped back on lo is not tracked again */
  CtCarry = 0x10,
}
// Packet descriptor, written by the host.
/** u32 offset of the packet bytes in the batch area. */
export const PKT_DATA = 0;
/** u32 bytes. */
export const PKT_LEN = 4;
/** u8 Family of the hook path (Ipv4, Ipv6, Arp, Bridge, Netdev). */
export const PKT_FAMILY = 8;
/** u8 PktFlags. */
export const PKT_FLAGS = 9;
/** u8 skb pkt_type (0 host, 1 broadcast, 2 multicast, 3 other host). */
export const PKT_PKTTYPE = 10;
/** u8 number of hooks in PKT_HOOKS. */
export const PKT_HOOK_COUNT = 11;
/** u8[PKT_HOOK_MAX] hooks in order: InetHook numbers (Ingress = the device's netdev ingress), ArpHook for arp. */
export const PKT_HOOKS = 12;
/** u32 input interface index, 0 = none. */
export const PKT_IIF = 20;
/** u32 output interface index, 0 = none. */
export const PKT_OIF = 24;
/** u32 packet mark on entry. */
export const PKT_MARK = 28;
/** u64 timestamp, ns since the epoch (drives time keys, limits, timeouts). */
export const PKT_TSTAMP = 32;
/** u32 socket uid. */
export const PKT_SKUID = 40;
/** u32 socket gid. */
export const PKT_SKGID = 44;
/** u32 conntrack entry index the packet already carries (with PktFlags.CtCarry; NONE32 = none). */
export const PKT_CT_ENTRY = 48;
/** u8 CtInfo the packet already carries (with PktFlags.CtCarry). */
export const PKT_CTINFO = 52;
/** bytes of a descriptor. */
export const PKT_SIZE = 56;
/** Most hooks on one path. */
export const PKT_HOOK_MAX = 8;

/** Result flags (RES_FLAGS). */
export enum ResFlags {
  /** notrack ran */
  Untracked = 0x1,
  /** nftrace was set */
  Nftrace = 0x2,
  /** the stack dropped the packet before the hook (malformed IPv4/IPv6 header) */
  StackDrop = 0x4,
  /** the descriptor was invalid (bytes outside the batch area, bad path): not evaluated */
  BadDescriptor = 0x8,
  /** conntrack dropped the packet: the table was full and nothing could be evicted */
  CtDrop = 0x10,
  /** a fragment reassembly kept (NF_STOLEN) or dropped: it went no further, the datagram goes on with its last fragment */
  Defrag = 0x20,
}
// Result record per packet, written by the VM.
/** u32 final verdict: the last hook's NF_* code (queue number in bits 16..31). */
export const RES_VERDICT = 0;
/** u8 hook that decided, NONE8 = no chain decided. */
export const RES_HOOK = 4;
/** u8 index of that hook in the path. */
export const RES_HOOK_INDEX = 5;
/** u8 ResFlags. */
export const RES_FLAGS = 6;
/** u32 index of the base chain that decided, NONE32 = none. */
export const RES_CHAIN = 8;
/** u32 handle of the rule that decided, 0 = the chain's policy. */
export const RES_RULE = 12;
/** u32 mark after the hooks. */
export const RES_MARK = 16;
/** u32 skb priority after the hooks. */
export const RES_PRIORITY = 20;
/** u8 CtInfo of the packet after the hooks (CtInfo.None: no entry). */
export const RES_CTINFO = 24;
/** u8 ct state bits after the hooks (CtStateBit; 0 when conntrack did not run). */
export const RES_CTSTATE = 25;
/** u16 the generation the packet saw: VM_GENERATION / 2, low 16 bits (the commits before it). */
export const RES_GEN = 26;
/** u32 conntrack entry index after the hooks (NONE32 none). */
export const RES_CTENTRY = 28;
/** bytes of a result record. */
export const RES_SIZE = 32;

/** Kinds of record in the record area. */
export enum RecordKind {
  /** a trace event: REC_SUB = NFT_TRACETYPE_*, REC_A = verdict, REC_B = jump target chain (rule events), skb mark (policy events) */
  Trace = 1,
  /** a log statement ran: REC_SUB = level, REC_A = prefix string offset (NONE32), REC_B = LogHas << 24 | flags << 16 | group */
  Log = 2,
  /** a reject statement ran: REC_SUB = RejectType, REC_A = code */
  Reject = 3,
  /** fwd stole the packet: REC_SUB = next-hop Family (0 none), REC_A = output ifindex, REC_B = IPv4 next hop (network order as in memory; 0 for IPv6) */
  Fwd = 4,
  /** dup sent a copy: REC_SUB = Family of the gateway (0 none: netdev), REC_A = output ifindex (0xffffffff none), REC_B = IPv4 gateway (0 for IPv6) */
  Dup = 5,
  /** a conntrack event: REC_SUB = CtEventType, REC_A = CtEventBits, REC_B = offset (from the record area) of a snapshot of the entry (CTE_SIZE bytes, then CTX_SIZE bytes of its extension), REC_CHAIN = entry index, REC_RULE = table time in ms */
  CtEvent = 6,
  /** the packet changed under a traced packet (NAT rewrote it, DNAT routed it again): later chains see these bytes; REC_A = output ifindex now (0 none), REC_B = offset (from the record area) of a block: u16 length, u16 0, then the bytes from the network header (0 = no room), REC_CHAIN = 1 when the packet is now forwarded */
  Packet = 7,
}
/** Trace event types (enum nft_trace_types). */
export enum TraceType {
  /** NFT_TRACETYPE_POLICY: the base chain's policy */
  Policy = 1,
  /** NFT_TRACETYPE_RETURN: fell off the end of a chain (nft 1.0.6 prints nothing) */
  Return = 2,
  /** NFT_TRACETYPE_RULE: a rule ran to the end or set a verdict */
  Rule = 3,
}
// Record area: header, then RECORD_SIZE-byte records.
/** u32 records written in the last batch. */
export const RECORDS_COUNT = 0;
/** u32 capacity in records. */
export const RECORDS_CAPACITY = 4;
/** u32 records lost because the area was full. */
export const RECORDS_DROPPED = 8;
/** bytes of the record area header. */
export const RECORDS_HEADER_SIZE = 16;
/** u8 RecordKind. */
export const REC_KIND = 0;
/** u8 kind-specific: trace type, log level, reject type. */
export const REC_SUB = 1;
/** u8 hook. */
export const REC_HOOK = 2;
/** u8 nfproto of the chain run. */
export const REC_NFPROTO = 3;
/** u32 packet index in the batch. */
export const REC_PACKET = 4;
/** u32 chain index. */
export const REC_CHAIN = 8;
/** u32 rule handle (0 = none). */
export const REC_RULE = 12;
/** u32 kind-specific. */
export const REC_A = 16;
/** u32 kind-specific. */
export const REC_B = 20;
/** bytes of a record. */
export const RECORD_SIZE = 24;
/** u32 offset (from the record area) of the lowest byte of reply data: reject replies are stored from the area's end downwards, records from its start. */
export const RECORDS_DATA = 12;
// Reject record: REC_SUB = RejectType, REC_A = code, REC_B = offset (from
// the record area, >= RECORDS_HEADER_SIZE) of the reply the kernel would
// send, or a RejectSkip (< RECORDS_HEADER_SIZE) saying why it sends none.
/** Reply block: u16 bytes of the reply packet (network header onwards). */
export const REJ_REPLY_LEN = 0;
/** Reply block: u8 Family of the reply (Ipv4, Ipv6). */
export const REJ_REPLY_FAMILY = 2;
/** Reply block: the reply packet, from its network header. */
export const REJ_REPLY_BYTES = 4;
/** Why a reject sends nothing (REC_B of a reject record below RECORDS_HEADER_SIZE). */
export enum RejectSkip {
  /** a non-first fragment */
  Fragment = 1,
  /** tcp reset for a packet that is not TCP, or too short to hold its header */
  NotTcp = 2,
  /** no RST in reply to a RST */
  Rst = 3,
  /** the TCP/UDP/ICMP checksum is wrong */
  BadChecksum = 4,
  /** no ICMP error about an ICMP error (or an unreadable ICMP header) */
  IcmpError = 5,
  /** broadcast, multicast or non-unicast address, or not PACKET_HOST */
  NotUnicast = 6,
  /** the record area has no room for the reply */
  NoSpace = 7,
  /** not an IPv4/IPv6 packet, or a malformed header */
  Malformed = 8,
  /** no route back to the sender */
  NoRoute = 9,
}

// Host model: interfaces by index (the host writes them; see src/host.ts).
/** Interface table: entry i describes ifindex i (0 = none). */
export const IFACE_MAX = 64;
/** u8[16] name, NUL-padded. */
export const IFACE_NAME = 0;
/** u8[16] kind (`veth`, `bridge`; empty for physical devices). */
export const IFACE_KIND = 16;
/** u16 ARPHRD type. */
export const IFACE_TYPE = 32;
/** u16 1 = present. */
export const IFACE_PRESENT = 34;
/** u32 group. */
export const IFACE_GROUP = 36;
/** u32 MTU (0 = not given: 1500, loopback 65536). */
export const IFACE_MTU = 40;
/** bytes of an interface entry. */
export const IFACE_SIZE = 44;
/** Address table after the interfaces: ADDR_MAX entries. */
export const ADDR_MAX = 256;
/** u32 ifindex owning the address (0 = unused entry). */
export const ADDR_IFINDEX = 0;
/** u8 Family (Ipv4 or Ipv6). */
export const ADDR_FAMILY = 4;
/** u8 prefix length of the connected network. */
export const ADDR_PREFIX = 5;
/** u8[16] address (IPv4 in the first 4 bytes). */
export const ADDR_ADDR = 8;
/** bytes of an address entry. */
export const ADDR_SIZE = 24;
/** Route table after the addresses: ROUTE_MAX entries (longest prefix wins). */
export const ROUTE_MAX = 256;
/** u32 output ifindex (0 = unused entry). */
export const ROUTE_IFINDEX = 0;
/** u8 Family. */
export const ROUTE_FAMILY = 4;
/** u8 prefix length. */
export const ROUTE_PREFIX = 5;
/** u8 route type (RTN_*: unicast 1, blackhole 6, unreachable 7, prohibit 8). */
export const ROUTE_TYPE = 6;
/** u8[16] destination. */
export const ROUTE_DST = 8;
/** u8[16] gateway (`via`; all zero = directly connected). */
export const ROUTE_GW = 24;
/** bytes of a route entry. */
export const ROUTE_SIZE = 40;
/** bytes of the host model area. */
export const HOST_SIZE = IFACE_MAX * IFACE_SIZE + ADDR_MAX * ADDR_SIZE + ROUTE_MAX * ROUTE_SIZE;

// ---------------------------------------------------------------------------
// Conntrack (docs/conntrack.md; kernel: include/net/netfilter/nf_conntrack*.h).
// The table is a bucket array of u32 links and a pool of CTE_SIZE-byte
// entries; a link is entry index × 2 + direction + 1 (0 ends a chain). The
// host reads entries for `conntrack -L` and event snapshots for `-E`.

/** Conntrack status bits (enum ip_conntrack_status). */
export enum CtStatus {
  /** IPS_EXPECTED */
  Expected = 0x1,
  /** IPS_SEEN_REPLY */
  SeenReply = 0x2,
  /** IPS_ASSURED */
  Assured = 0x4,
  /** IPS_CONFIRMED */
  Confirmed = 0x8,
  /** IPS_SRC_NAT */
  SrcNat = 0x10,
  /** IPS_DST_NAT */
  DstNat = 0x20,
  /** IPS_SRC_NAT_DONE */
  SrcNatDone = 0x80,
  /** IPS_DST_NAT_DONE */
  DstNatDone = 0x100,
  /** IPS_DYING */
  Dying = 0x200,
  /** IPS_FIXED_TIMEOUT */
  FixedTimeout = 0x400,
  /** IPS_HELPER: a helper was attached by `ct helper set` (the VM runs one: ftp) */
  Helper = 0x2000,
}
/** ct state bits as nft reads them (NF_CT_STATE_*_BIT). */
export enum CtStateBit {
  Invalid = 1,
  Established = 2,
  Related = 4,
  New = 8,
  Untracked = 64,
}
/** Per-packet conntrack info (enum ip_conntrack_info); None = no entry attached. */
export enum CtInfo {
  Established = 0,
  Related = 1,
  New = 2,
  EstablishedReply = 3,
  RelatedReply = 4,
  Untracked = 7,
  None = 0xff,
}
/** TCP conntrack states (enum tcp_conntrack). */
export enum TcpState {
  None = 0,
  SynSent = 1,
  SynRecv = 2,
  Established = 3,
  FinWait = 4,
  CloseWait = 5,
  LastAck = 6,
  TimeWait = 7,
  Close = 8,
  SynSent2 = 9,
}
/** Per-direction TCP flags (IP_CT_TCP_FLAG_*), CTE_TCP_FLAGS0/1. */
export enum TcpDirFlags {
  WindowScale = 0x01,
  SackPerm = 0x02,
  CloseInit = 0x04,
  BeLiberal = 0x08,
  DataUnacknowledged = 0x10,
  MaxackSet = 0x20,
  /** ftp helper (VM only; the kernel's seq_aft_nl): this side's last data ended a line, so its next data is parsed */
  FtpLineStart = 0x40,
}
/** SCTP conntrack states (enum sctp_conntrack), CTE_STATE of an SCTP entry. */
export enum SctpState {
  None = 0,
  Closed = 1,
  CookieWait = 2,
  CookieEchoed = 3,
  Established = 4,
  ShutdownSent = 5,
  ShutdownRecd = 6,
  ShutdownAckSent = 7,
  HeartbeatSent = 8,
  /** SCTP_CONNTRACK_MAX: no transition (the packet is invalid) */
  Invalid = 9,
}
/** CTE_SCTP_FLAGS bits: ct->proto.sctp's init[dir], flags and last_dir. */
export enum SctpFlags {
  /** init[ORIGINAL]: an INIT was seen from the ORIGINAL side */
  Init0 = 0x1,
  /** init[REPLY] */
  Init1 = 0x2,
  /** SCTP_FLAG_HEARTBEAT_VTAG_FAILED: a HEARTBEAT with another tag, ignored until its ACK */
  HeartbeatVtagFailed = 0x4,
  /** last_dir: the direction of that HEARTBEAT is REPLY */
  LastDirReply = 0x8,
}
/** Timeout slots (seconds, u32 each at CTC_TIMEOUTS): the nf_conntrack_* sysctls. */
export enum CtTimeout {
  TcpSynSent = 0,
  TcpSynRecv = 1,
  TcpEstablished = 2,
  TcpFinWait = 3,
  TcpCloseWait = 4,
  TcpLastAck = 5,
  TcpTimeWait = 6,
  TcpClose = 7,
  TcpSynSent2 = 8,
  TcpRetrans = 9,
  TcpUnack = 10,
  Udp = 11,
  UdpStream = 12,
  Icmp = 13,
  Icmpv6 = 14,
  Generic = 15,
}
/** Number of timeout slots. */
export const CT_TIMEOUT_SLOTS = 16;
/** NF_IP_PRI_CONNTRACK: conntrack's priority in prerouting and output. */
export const NF_IP_PRI_CONNTRACK = -200;
/** NF_IP_PRI_CONNTRACK_DEFRAG: fragment reassembly in front of conntrack. */
export const NF_IP_PRI_CONNTRACK_DEFRAG = -400;
/** Conntrack options (CTC_FLAGS): the boolean sysctls. */
export enum CtOption {
  /** nf_conntrack_tcp_loose: pick up mid-stream TCP connections */
  TcpLoose = 0x1,
  /** nf_conntrack_tcp_be_liberal: no TCP window checks */
  TcpBeLiberal = 0x2,
  /** nf_conntrack_checksum: verify L4 checksums at prerouting */
  Checksum = 0x4,
  /** nf_conntrack_tcp_ignore_invalid_rst */
  TcpIgnoreInvalidRst = 0x8,
  /** nf_conntrack_acct: per-direction packet/byte counters (CTX_*) */
  Acct = 0x10,
}
/** Conntrack event kinds (REC_SUB of a CtEvent record). */
export enum CtEventType {
  New = 1,
  Update = 2,
  Destroy = 3,
}
/** Event detail bits (REC_A of a CtEvent record). */
export enum CtEventBits {
  /** the TCP or SCTP state changed (IPCT_PROTOINFO): `-E` prints the state name */
  Protoinfo = 0x1,
  /** DESTROY before the timeout ran out (killed): `-E` prints the time left */
  Killed = 0x2,
  /** the mark changed (IPCT_MARK): `-E` prints mark= even when it is 0 */
  Mark = 0x4,
}

// Conntrack control block (CTC_*), at ctAddr(); the host writes sizes and
// options before the first packet (ctInit) and reads the statistics.
/** u32 address of the bucket array (u32 links). */
export const CTC_BUCKETS = 0;
/** u32 number of buckets. */
export const CTC_NBUCKETS = 4;
/** u32 address of the entry pool. */
export const CTC_POOL = 8;
/** u32 nf_conntrack_max (pool capacity). */
export const CTC_MAX = 12;
/** u32 entries in the table (confirmed). */
export const CTC_COUNT = 16;
/** u32 CtOption bits. */
export const CTC_FLAGS = 20;
/** u32 address of the extension array (CTX_SIZE per entry; 0 = none: no accounting, no labels). */
export const CTC_EXT = 24;
/** u32 nf_conntrack_tcp_max_retrans. */
export const CTC_MAX_RETRANS = 28;
/** u64 packet time (ns since the epoch) that table time 0 stands for. */
export const CTC_EPOCH = 32;
/** u32 table time of the last packet (ms since CTC_EPOCH). */
export const CTC_NOW = 40;
/** u32 statistics: invalid (no entry attached). */
export const CTC_STAT_INVALID = 44;
/** u32 statistics: packets dropped because the table was full. */
export const CTC_STAT_DROP = 48;
/** u32 statistics: entries evicted by early drop. */
export const CTC_STAT_EARLY_DROP = 52;
/** u32 statistics: ICMP errors refused (no matching entry, malformed). */
export const CTC_STAT_ICMP_ERROR = 56;
/** u32 statistics: entries inserted (confirmed). */
export const CTC_STAT_INSERT = 60;
/** u32 statistics: entries found by lookups. */
export const CTC_STAT_FOUND = 64;
/** u32 tracked families: bit Family.Ipv4, bit Family.Ipv6 (set at load from the ruleset's users of conntrack). */
export const CTC_FAMILIES = 68;
/** u64 hash seed. */
export const CTC_SEED = 72;
/** u32[CT_TIMEOUT_SLOTS] timeouts in seconds (CtTimeout). */
export const CTC_TIMEOUTS = 80;
/** bytes of the conntrack control block. */
export const CTC_SIZE = 80 + 4 * 16;

// Conntrack entry (CTE_*), CTE_SIZE bytes. Times are ms of table time
// (CTC_EPOCH); an unconfirmed entry holds its timeout relative.
/** u32 next link in the ORIGINAL tuple's chain (free list link when unused). */
export const CTE_NEXT0 = 0;
/** u32 next link in the REPLY tuple's chain. */
export const CTE_NEXT1 = 4;
/** u32 absolute timeout, ms of table time. */
export const CTE_TIMEOUT = 8;
/** u16 CtStatus bits. */
export const CTE_STATUS = 12;
/** u8 TcpState (TCP), SctpState (SCTP), 0 otherwise. */
export const CTE_STATE = 14;
/** u8 bit 0: in use; bits 1-7: timeout policy, the index + 1 of its ct timeout object in the active ruleset (0 = none; CTE_USED_POLICY_SHIFT). */
export const CTE_USED = 15;
/** Shift of the timeout policy in CTE_USED. */
export const CTE_USED_POLICY_SHIFT = 1;
/** Largest timeout policy number CTE_USED holds (object index + 1). */
export const CTE_USED_POLICY_MAX = 127;
/** u32 ct mark. */
export const CTE_MARK = 16;
/** u16 zone id. */
export const CTE_ZONE = 20;
/** u8 L3 protocol (2 IPv4, 10 IPv6). */
export const CTE_L3 = 22;
/** u8 L4 protocol number. */
export const CTE_PROTO = 23;
/** ORIGINAL tuple (CT_TUPLE_SIZE bytes). */
export const CTE_ORIG = 24;
/** REPLY tuple. */
export const CTE_REPLY = 60;
/** u32 creation time, ms of table time (UDP stream detection). */
export const CTE_START = 96;
// TCP window tracking (struct ip_ct_tcp): per direction td_end, td_maxend, td_maxwin, td_maxack.
/** u32 ORIGINAL sender's td_end; REPLY sender's at CTE_TCP_SEEN1. */
export const CTE_TCP_SEEN0 = 100;
/** u32 REPLY sender's td_end. */
export const CTE_TCP_SEEN1 = 116;
/** u32 offsets within a direction's block. */
export const TCP_TD_END = 0;
export const TCP_TD_MAXEND = 4;
export const TCP_TD_MAXWIN = 8;
export const TCP_TD_MAXACK = 12;
/** u8 ORIGINAL td_scale. */
export const CTE_TCP_SCALE0 = 132;
/** u8 ORIGINAL flags (TcpDirFlags). */
export const CTE_TCP_FLAGS0 = 133;
/** u8 REPLY td_scale. */
export const CTE_TCP_SCALE1 = 134;
/** u8 REPLY flags. */
export const CTE_TCP_FLAGS1 = 135;
/** u8 last_index (packet class of the last accepted or ignored packet). */
export const CTE_TCP_LAST_INDEX = 136;
/** u8 last_dir. */
export const CTE_TCP_LAST_DIR = 137;
/** u8 retrans. */
export const CTE_TCP_RETRANS = 138;
/** u8 last_wscale. */
export const CTE_TCP_LAST_WSCALE = 139;
/** u8 last_flags (TcpDirFlags, plus 0x40 EXP_CHALLENGE_ACK, 0x80 SIMULTANEOUS_OPEN). */
export const CTE_TCP_LAST_FLAGS = 140;
/** u16 last_win (raw). */
export const CTE_TCP_LAST_WIN = 142;
/** u32 last_seq. */
export const CTE_TCP_LAST_SEQ = 144;
/** u32 last_ack. */
export const CTE_TCP_LAST_ACK = 148;
/** u32 last_end. */
export const CTE_TCP_LAST_END = 152;
// SCTP (struct ip_ct_sctp) in the TCP area, which an SCTP entry does not use.
/** u32 verification tag the ORIGINAL sender must carry (vtag[IP_CT_DIR_ORIGINAL], network order as read); REPLY's at CTE_SCTP_VTAG1. */
export const CTE_SCTP_VTAG0 = 100;
/** u32 verification tag the REPLY sender must carry. */
export const CTE_SCTP_VTAG1 = 104;
/** u8 SctpFlags. */
export const CTE_SCTP_FLAGS = 108;
/** bytes of an entry: with its 4-byte bucket, 160 bytes per connection. */
export const CTE_SIZE = 156;
// Tuple (struct nf_conntrack_tuple without dir), within CTE_ORIG / CTE_REPLY.
/** u8[16] source address (IPv4: first 4 bytes, rest 0). */
export const TUP_SRC = 0;
/** u8[16] destination address. */
export const TUP_DST = 16;
/** u16 src.u, network order: source port, ICMP id. */
export const TUP_SPORT = 32;
/** u16 dst.u, network order: destination port; ICMP: u8 type, u8 code. */
export const TUP_DPORT = 34;
/** bytes of a tuple. */
export const CT_TUPLE_SIZE = 36;
// Expectation (EXP_*, kernel: struct nf_conntrack_expect): a table of
// EXPECT_MAX records allocated by ctInit; a helper adds one, the first packet
// of the connection it describes takes it. Source port is a wildcard.
/** number of expectations the table holds (nf_conntrack_expect_max is 4096 on the recording host; ftp keeps one per control connection). */
export const EXPECT_MAX = 256;
/** u32 master entry index + 1, 0 = free slot. */
export const EXP_MASTER = 0;
/** u32 absolute timeout, ms of table time. */
export const EXP_TIMEOUT = 4;
/** u8[16] expected source address. */
export const EXP_SRC = 8;
/** u8[16] expected destination address. */
export const EXP_DST = 24;
/** u16 expected destination port, network order. */
export const EXP_DPORT = 40;
/** u8 L3 protocol (2, 10). */
export const EXP_L3 = 42;
/** u8 L4 protocol. */
export const EXP_PROTO = 43;
/** u16 zone of the master. */
export const EXP_ZONE = 44;
/** bytes of an expectation. */
export const EXP_SIZE = 48;
// Extension entry (CTX_*), when accounting or labels are on: same index as the entry.
/** u64 ORIGINAL packets. */
export const CTX_PKTS0 = 0;
/** u64 ORIGINAL bytes. */
export const CTX_BYTES0 = 8;
/** u64 REPLY packets. */
export const CTX_PKTS1 = 16;
/** u64 REPLY bytes. */
export const CTX_BYTES1 = 24;
/** u8[16] labels. */
export const CTX_LABELS = 32;
/** bytes of an extension entry. */
export const CTX_SIZE = 48;
