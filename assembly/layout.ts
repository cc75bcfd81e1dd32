// The VM's private runtime structures in a ruleset slot (docs/vm.md §2):
// what load() builds from an image and the interpreter walks. The host never
// reads these; what it reads (control block, batch, records, counters in the
// code copy) is in abi.ts. Kernel counterpart: struct nft_chain, the rule
// blob, struct nft_set; `chain c { tcp dport 22 accept }` → one CH_* record
// whose rules point into the code copy.

// Ruleset header (RS_*), at the start of the slot.
/** u32 address of the table array (TB_SIZE each). */
export const RS_TABLES = 0;
/** u32 number of tables. */
export const RS_NTABLES = 4;
/** u32 address of the chain array (CH_SIZE each). */
export const RS_CHAINS = 8;
/** u32 number of chains. */
export const RS_NCHAINS = 12;
/** u32 address of the rule array (RU_SIZE each, grouped by chain). */
export const RS_RULES = 16;
/** u32 number of rules. */
export const RS_NRULES = 20;
/** u32 address of the set descriptors (SD_SIZE each). */
export const RS_SETS = 24;
/** u32 number of sets. */
export const RS_NSETS = 28;
/** u32 address of the object array (OB_SIZE each). */
export const RS_OBJECTS = 32;
/** u32 number of objects. */
export const RS_NOBJECTS = 36;
/** u32 address of the copy of the code section. */
export const RS_CODE = 40;
/** u32 bytes of code. */
export const RS_CODE_SIZE = 44;
/** u32 address of the copy of the string section. */
export const RS_STRINGS = 48;
/**
 * u32 address of the hook lists: HOOK_SLOTS × HOOK_NUM entries of (u32
 * first, u32 count) into the u32 chain indices at HOOK_LIST_AT after them.
 * One block, so that a commit publishes new lists with one store.
 */
export const RS_HOOKS = 52;
/** u32 object records allocated (the object array holds RS_OBJ_CAP; in-place commits add objects after RS_NOBJECTS). */
export const RS_OBJ_CAP = 56;
/** u32 address of the VM state slots (VM_STATE_SLOT_SIZE each). */
export const RS_STATE = 60;
/** u32 number of state slots. */
export const RS_NSTATE = 64;
// Room for commits that edit the active ruleset in place (commit.ts): rule
// slots, set descriptors and state slots kept free at load, and the slot's
// free bytes. When one runs out the commit is refused (CommitError.NoRoom)
// and the host rebuilds the whole ruleset into the other slot instead.
/** u32 rule slots allocated (the rule array holds RS_RULE_CAP records). */
export const RS_RULE_CAP = 68;
/** u32 first rule slot no chain owns (chains that outgrow their room move here). */
export const RS_RULE_TOP = 72;
/** u32 set descriptors allocated. */
export const RS_SET_CAP = 76;
/** u32 next free state slot. */
export const RS_STATE_NEXT = 80;
/** u32 first free byte of the slot. */
export const RS_TOP = 84;
/** u32 end of the slot. */
export const RS_END = 88;
/** u32 rule slots that dead rules and moved chains left unused (commit.ts compacts chains when it grows). */
export const RS_WASTE = 92;
/** u32 first free range of rule code for reuse (commit.ts; 0 = none): each holds u32 next and u32 bytes at its start. */
export const RS_CODE_FREE = 96;
/** u32 first code range of a dead rule, reusable once another grace period has passed (then it joins RS_CODE_FREE). */
export const RS_CODE_RETIRED = 100;
/** u32 last range of RS_CODE_RETIRED's list (the whole list joins the free list in one link). */
export const RS_CODE_RETIRED_LAST = 104;
/** u32 the commit finish (commit.ts finishSeq) that last retired a range to RS_CODE_RETIRED. */
export const RS_CODE_RETIRED_AT = 108;
/** u32 chain records allocated (the chain array holds RS_CHAIN_CAP; in-place commits add chains after RS_NCHAINS). */
export const RS_CHAIN_CAP = 112;
/** u32 table records allocated (the table array holds RS_TABLE_CAP; in-place commits add tables after RS_NTABLES). */
export const RS_TABLE_CAP = 116;
/**
 * u32 address of the free state slot indices (u32 × RS_NSTATE): those a
 * commit may give a new rule's limit or numgen (RS_STATE_NFREE, from the
 * start), and those dead rules and objects left, free once another grace
 * period has passed (RS_STATE_NRETIRED, from the end down).
 */
export const RS_STATE_FREE = 120;
/** u32 free state slot indices at RS_STATE_FREE. */
export const RS_STATE_NFREE = 124;
/** u32 retired state slot indices at the end of RS_STATE_FREE's array. */
export const RS_STATE_NRETIRED = 128;
/** u32 the commit finish that last retired a state slot. */
export const RS_STATE_RETIRED_AT = 132;
/** bytes of the ruleset header. */
export const RS_SIZE = 136;

/** Hook list slots by hook family. */
export const HOOK_SLOT_IPV4 = 0;
/** ip6 hooks (inet chains are in both). */
export const HOOK_SLOT_IPV6 = 1;
/** arp hooks. */
export const HOOK_SLOT_ARP = 2;
/** bridge hooks. */
export const HOOK_SLOT_BRIDGE = 3;
/** netdev ingress/egress (and inet ingress chains). */
export const HOOK_SLOT_NETDEV = 4;
/** number of hook family slots. */
export const HOOK_SLOTS = 5;
/** hook numbers per slot (InetHook 0..5). */
export const HOOK_NUM = 6;
/** Offset of the chain indices in the hook block (RS_HOOKS), after its (first, count) entries. */
export const HOOK_LIST_AT = HOOK_SLOTS * HOOK_NUM * 8;

// Table record.
/** u8 Family. */
export const TB_FAMILY = 0;
/** u8 RuleGen bits: the generations the table is not in (an in-place commit's; Dead: a free record). */
export const TB_GEN = 1;
/** u8 TableFlags of the current generation (a dormant table's base chains are off their hooks: CH_HOOK_OFF). */
export const TB_FLAGS = 2;
/** u8 TableFlags of the next generation (an in-place commit's: commit.ts txTableDormant). */
export const TB_FLAGS_NEXT = 3;
/** u32 a free (Dead) record takes a new table from this commit finish on (commit.ts tableFree). */
export const TB_FREE_AT = 4;
/** bytes of a table record. */
export const TB_SIZE = 8;

// Chain record.
/** u32 table index. */
export const CH_TABLE = 0;
/** u32 index of the first rule in the rule array. */
export const CH_FIRST = 4;
/** u32 number of rules. */
export const CH_COUNT = 8;
/** u8 ChainFlags, plus CH_FLAG_NAT. */
export const CH_FLAGS = 12;
/** Runtime chain flag: a base chain of type nat (run by the NAT hook, batch.ts). */
export const CH_FLAG_NAT = 0x80;
/** Runtime chain flag: CH_DEVICES is in slot memory the chain owns (an in-place commit's: commit.ts), not in the string section. */
export const CH_FLAG_OWN_DEVICES = 0x40;
/** u8 hook. */
export const CH_HOOK = 13;
/** u8 (jumps.ts) the longest path of jumps from a base chain to this one, + 1; 0: none reached it. */
export const CH_LEVEL = 14;
/** u8 Family of the table. */
export const CH_FAMILY = 15;
/** i32 priority. */
export const CH_PRIO = 16;
/** u32 handle. */
export const CH_HANDLE = 20;
/** u32 address of the NUL-separated device names (u16 length first), 0 = none. */
export const CH_DEVICES = 24;
/** u32 scratch for the loader (jump depth). */
export const CH_WORK = 28;
/** u32 rule slots the chain owns from CH_FIRST (CH_COUNT of them in use, live or not). */
export const CH_CAP = 32;
/** u8 × 2: policy verdict (accept when none given) of generation 0, then 1 (read at CH_POLICY + cursor). */
export const CH_POLICY = 36;
/** u8 generation mask (RuleGen): a chain an in-place commit adds or deletes (commit.ts); Dead: a free record. */
export const CH_GEN = 38;
/** u8 RuleGen bits of the generations a base chain is off its hook in (its table dormant); the hook walk reads it with CH_GEN as one u16 (mem.ts hookSkip). */
export const CH_HOOK_OFF = 39;
/** u32 (a Dead record) the commit finish from which a new chain may take the record (commit.ts chainFree). */
export const CH_FREE_AT = 40;
/** bytes of a chain record. */
export const CH_SIZE = 44;

// Rule record.
/** u32 address of the first instruction. */
export const RU_CODE = 0;
/** u32 address after the last instruction. */
export const RU_END = 4;
/** u32 handle. */
export const RU_HANDLE = 8;
/** u32 chain index. */
export const RU_CHAIN = 12;
// The rule's pre-decoded prefix (fast.ts, built at load): guard, checks, verdict.
/** u8 guard kind (FastGuard: none, l4proto, nfproto): the first record is `meta <key> == value`. */
export const RU_GKIND = 16;
/** u8 flags (FastFlags), with the rule's generation mask (RuleGen). */
export const RU_FFLAGS = 17;
/** u8 checks in RU_CHECKS (0..RU_MAX_CHECKS). */
export const RU_NCHECKS = 18;
/** u8 register of the guard's meta load (stored when a generic tail may read it). */
export const RU_GDREG = 19;
/** i32 value the guard key must have. */
export const RU_GVAL = 20;
/** u32 rule index after the run of rules of this chain with the same guard. */
export const RU_SKIP = 24;
/** u32 address of the first record not covered by the prefix (= RU_END when none is left). */
export const RU_TAIL = 28;
/** u64 verdict words 0..1 of the inline verdict (FastFlags.Verdict). */
export const RU_VERDICT = 32;
/** Pre-decoded checks, RU_CHECK_SIZE each. */
export const RU_CHECKS = 44;
/** Checks a rule record holds. */
export const RU_MAX_CHECKS = 3;
/** Bytes of a pre-decoded check: u8 kind, u8 load length, u8 dreg, u8 neq; u32 offset; u32 mask; u32 data (set descriptor of a lookup); u32 mask and u32 xor of the register value. */
export const RU_CHECK_SIZE = 24;
/** u32 end (rule index) of the scan run this rule starts or is in, 0 if none: rules of the chain with the same guard, one eq check of the same load and mask, and a verdict. */
export const RU_SCAN = 40;
/** u32 the rule's anonymous sets: the first's index in the low 24 bits, their count above (0: none, or not recorded); they die with the rule (commit.ts). */
export const RU_SETS = 116;
/** u8[GUARD_CLASSES] (fast.ts) rules to advance by after this one when it BREAKs or continues, by the packet's guard class: the rules in between have a guard that fails for every packet of the class (1 = the next rule; at most 255). */
export const RU_NEXT = 120;
/** bytes of a rule record. */
export const RU_SIZE = 136;

// Object record.
/** u32 address of the state record in the code copy, 0 = none. */
export const OB_STATE = 0;
/** u8 ObjectType. */
export const OB_TYPE = 4;
/** u8 RuleGen bits: the generations the object is not in (an in-place commit's; Dead: a free record). */
export const OB_GEN = 5;
/** u32 table index. */
export const OB_TABLE = 8;
/** u32 a free (Dead) record takes a new object from this commit finish on (commit.ts objectReusable). */
export const OB_FREE_AT = 12;
/** bytes of an object record. */
export const OB_SIZE = 16;

/** How a set finds its elements. */
export enum SetKind {
  /** open addressing on the key bytes */
  Hash = 1,
  /** sorted start/end elements, binary search (single-field intervals) */
  Interval = 2,
  /** elements with key and key end per field, scanned (concatenated intervals) */
  Ranges = 3,
}

// Set descriptor.
/** u8 SetKind. */
export const SD_KIND = 0;
/** u8 SetData. */
export const SD_DATA_KIND = 1;
/** u8 key bytes compared (the register length). */
export const SD_KLEN = 2;
/** u8 data bytes (8 for a verdict). */
export const SD_DLEN = 3;
/** u32 SetFlags. */
export const SD_FLAGS = 4;
/** u32 table index. */
export const SD_TABLE = 8;
/** u16 padded key bytes in an entry. */
export const SD_KSTRIDE = 12;
/** u16 bytes per entry. */
export const SD_ESTRIDE = 14;
/** u32 address of the entries. */
export const SD_ENTRIES = 16;
/** u32 entries in use (hash: allocated, including deleted ones). */
export const SD_COUNT = 20;
/** u32 entries that fit. */
export const SD_CAPACITY = 24;
/** u32 address of the hash buckets (u32 entry index + 1, 0 = empty). */
export const SD_BUCKETS = 28;
/** u32 bucket mask. */
export const SD_MASK = 32;
/** u32 address of the catch-all entry, 0 = none. */
export const SD_CATCHALL = 36;
/** u64 default timeout in ns, 0 = none. */
export const SD_TIMEOUT = 40;
/** u8 number of key fields. */
export const SD_NFIELDS = 48;
/** u8[16] key field lengths. */
export const SD_FIELD_LEN = 49;
/** u8 ObjectType of an object map (its entries' data: u32 object index), 0 = none. */
export const SD_OBJ_TYPE = 65;
/** u16 offset of the key end in an entry (Ranges). */
export const SD_KEYEND_AT = 66;
/** u16 offset of the data in an entry. */
export const SD_DATA_AT = 68;
/** u16 offset of the u64 expiry (ns, 0 = never) in an entry. */
export const SD_EXPIRES_AT = 70;
/** u16 offset of the u32 entry flags. */
export const SD_EFLAGS_AT = 72;
/** u16 offset of the element expression records (dynset templates copied). */
export const SD_EXPRS_AT = 74;
/** u32 live elements. */
export const SD_LIVE = 76;
/** u32 address of the per-entry element expressions (a dynset's templates, copied on insert; 0 = none): (capacity + 1) × SD_XSTRIDE bytes. */
export const SD_EXPRS = 80;
/** u32 bytes of element expressions per entry (the records, each limit followed by its 32-byte bucket). */
export const SD_XSTRIDE = 84;
/** u32 first entry free for reuse (commit.ts; 0 = none), linked through each free entry's first word. */
export const SD_FREE = 88;
/** u32 first entry retired by a commit, reusable once another grace period has passed (then it joins SD_FREE). */
export const SD_RETIRED = 92;
/** u32 the commit finish (commit.ts finishSeq) that last retired an entry to SD_RETIRED. */
export const SD_RETIRED_AT = 96;
/** u8 (jumps.ts) the longest path from a base chain to a chain that looks the set up, + 1; 0: none reached one. */
export const SD_LEVEL = 100;
/** u8 RuleGen bits: the generations the set is not in (an in-place commit's; Dead: a free descriptor). */
export const SD_GEN = 101;
/** u32 a free (Dead) descriptor takes a new set from this commit finish on (commit.ts setReusable). */
export const SD_FREE_AT = 104;
/** u32 end of the set's memory, which starts at SD_ENTRIES (load.ts setFill): what its death retires (commit.ts). */
export const SD_MEM_END = 108;
/** bytes of a set descriptor. */
export const SD_SIZE = 112;

/** Entry flags (u32 at SD_EFLAGS_AT). */
export enum EntryFlags {
  /** NFT_SET_ELEM_INTERVAL_END */
  IntervalEnd = 0x1,
  /** the entry holds an element */
  Live = 0x100,
  /** open interval: reaches the top of the key space */
  Open = 0x200,
  /** generation mask (kernel: NFT_GENMASK bits): not in generation 0 */
  Gen0Inactive = 0x400,
  /** not in generation 1 */
  Gen1Inactive = 0x800,
}

/**
 * A rule's generation mask, in RU_FFLAGS (read with the rule's other flags,
 * so skipping costs no extra load): bit set = the rule is not part of that
 * generation. A new rule is 1 << current until the commit; a deleted one
 * gains 1 << next; a rule with both is dead.
 */
export enum RuleGen {
  Gen0Inactive = 0x40,
  Gen1Inactive = 0x80,
  Dead = 0xc0,
}
