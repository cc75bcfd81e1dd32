// The nftvm engine (src/engine.ts): owns one WebAssembly instance of the VM
// (assembly/index.ts) and its memory regions; loads rulesets (nft text via
// the compiler, or a bytecode image) and evaluates batches of packets in
// one wasm call each. Browser-safe: the caller supplies the wasm bytes.
// `const e = await Engine.create({ wasm }); e.load(text); e.evaluate([{ data, iif: 2 }])`.

import * as abi from '../assembly/abi.js';
import * as layout from '../assembly/layout.js';
import { decodeBytecode, encodeBytecode, programOf, type Program } from '../compiler/bytecode.js';
import { checkRuleset, renderDiagnostics, type FileReader } from '../compiler/index.js';
import { compileHost, hookPath, writeHost, type CompiledHost, type HookPath, type HostModel } from './host.js';
import { formatLoadError, readLoadError, type VmLoadError } from './vm-errors.js';
import { Transactions, type Seed } from './transaction.js';
import type { ListOptions } from '../compiler/list.js';
import { CT_EVENT_KINDS, CT_TIMEOUTS, decodeCtEntry, setMasterRefs, type ConntrackOptions, type CtEntry, type CtEvent, type CtStats, type TimeoutName } from './conntrack.js';

export type { HostModel } from './host.js';
export type { ConntrackOptions, CtEntry, CtEvent, CtStats, CtTuple, TimeoutName } from './conntrack.js';

/** Sizes of the VM's regions and the wasm to run. */
export interface EngineOptions {
  /** The compiled VM: build/nftvm.wasm bytes or a compiled module. */
  wasm: BufferSource | WebAssembly.Module;
  /** Bytes per ruleset slot (two slots: active and next). Default 16 MiB. */
  rulesetBytes?: number;
  /** Bytes of the image buffer. Default 4 MiB. */
  imageBytes?: number;
  /** Bytes of the batch area (descriptors, results, packet bytes). Default 8 MiB. */
  batchBytes?: number;
  /** Bytes of the record area (trace, log, reject). Default 1 MiB. */
  recordBytes?: number;
  /** Interfaces, addresses, routes, forwarding. */
  host?: HostModel;
  /** Seed of the VM's pseudo-random generator (meta random, numgen random). */
  seed?: bigint;
  /**
   * The conntrack table: sizes, timeouts and the boolean sysctls (default:
   * the kernel's, 262144 buckets and entries, ~40 MiB of linear memory);
   * `false` leaves the table out (the VM then refuses rulesets that use
   * conntrack at load).
   */
  conntrack?: ConntrackOptions | false;
  /**
   * Evaluators on other threads will share the memory (newEvaluator,
   * Engine.attach): needs the shared build (build/nftvm-shared.wasm) and
   * `conntrack: false`. Rulesets whose packets update state other than
   * counters (limit, quota, numgen inc, dynset, ...) are refused, and
   * commits leave in place whatever a packet may be reading.
   */
  shared?: boolean;
}

/** What an evaluator on another thread needs to attach to a shared engine (structured-cloneable: post it to the worker). */
export interface EvaluatorSpec {
  /** The shared memory. */
  memory: WebAssembly.Memory;
  /** Address of the control block. */
  ctl: number;
  /** Address of the evaluator's regions (mem.ts workerBlock). */
  block: number;
  /** Address of its epoch word in VM_WORKER_EPOCHS. */
  epoch: number;
  /** The host model the engine runs (for hook paths; the VM's copy is shared). */
  host: HostModel;
}

/** A ruleset the compiler or the VM refused; `message` says what and where. */
export class EngineLoadError extends Error {
  constructor(message: string, readonly vm?: VmLoadError) {
    super(message);
    this.name = 'EngineLoadError';
  }
}

/** One packet to evaluate. */
export interface PacketIn {
  /** The bytes: an Ethernet frame when `ether`, else an IP packet. */
  data: Uint8Array;
  /** Input interface index (0: locally generated). */
  iif?: number;
  /** Output interface index (default: from the host model's routes). */
  oif?: number;
  /** The bytes start with an Ethernet header (default: when iif is set). */
  ether?: boolean;
  /** Hook path family and hooks; default from the host model (host.ts hookPath). */
  family?: abi.Family;
  hooks?: number[];
  mark?: number;
  /** ns since the epoch. */
  tstamp?: bigint;
  /** 0 host, 1 broadcast, 2 multicast, 3 other host. */
  pkttype?: number;
  /** Local socket owner (skuid/skgid). */
  socket?: { uid: number; gid: number };
  /** The skb's nf_trace bit is already set (traced in an earlier hook of the same skb: netdev ingress, bridge). */
  nftrace?: boolean;
  /** The skb already carries a conntrack entry from an earlier pass (BatchResult.ctEntry/ctInfo): it is not tracked again. */
  ct?: { entry: number; info: number };
}

/** The live state of a `counter` or `quota` record. */
export type LiveState = { op: 'counter'; packets: bigint; bytes: bigint } | { op: 'quota'; consumed: bigint } | { op: 'last'; used: bigint | undefined };

/** A record of the record area, decoded. */
export interface VmRecord {
  kind: abi.RecordKind;
  sub: number;
  hook: number;
  nfproto: number;
  packet: number;
  chain: number;
  rule: number;
  a: number;
  b: number;
  /** RecordKind.Packet: the packet's bytes from the network header, as the later chains see them. */
  data?: Uint8Array;
}

/** What a reject sent: the reply packet (network header onwards, a view into the record area) or why the kernel sends none. */
export type RejectReply = { family: abi.Family; bytes: Uint8Array } | { skip: abi.RejectSkip };

/** Results of one batch: views into the batch area, valid until the next evaluate(). */
export class BatchResult {
  constructor(
    private readonly view: DataView,
    private readonly mem: Uint8Array,
    private readonly batch: number,
    private readonly results: number,
    readonly count: number,
    private readonly recs: number,
    private readonly ctc = 0,
  ) {}

  private res(i: number, o: number): number {
    return this.results + i * abi.RES_SIZE + o;
  }

  /** Final NF_* verdict code (queue number in bits 16..31). */
  verdict(i: number): number {
    return this.view.getInt32(this.res(i, abi.RES_VERDICT), true);
  }
  /** Hook that decided (abi.InetHook / ArpHook), or NONE8. */
  hook(i: number): number {
    return this.mem[this.res(i, abi.RES_HOOK)]!;
  }
  /** Index of the deciding base chain in the image, or NONE32. */
  chain(i: number): number {
    return this.view.getUint32(this.res(i, abi.RES_CHAIN), true);
  }
  /** Handle of the deciding rule; 0 = the chain's policy. */
  rule(i: number): number {
    return this.view.getUint32(this.res(i, abi.RES_RULE), true);
  }
  /** ResFlags. */
  flags(i: number): number {
    return this.mem[this.res(i, abi.RES_FLAGS)]!;
  }
  /** Mark after the hooks. */
  mark(i: number): number {
    return this.view.getUint32(this.res(i, abi.RES_MARK), true);
  }
  /** The packet's bytes in the batch area (payload writes show here). */
  packet(i: number): Uint8Array {
    const d = this.batch + abi.BATCH_HEADER_SIZE + i * abi.PKT_SIZE;
    const off = this.view.getUint32(d + abi.PKT_DATA, true);
    return this.mem.subarray(this.batch + off, this.batch + off + this.view.getUint32(d + abi.PKT_LEN, true));
  }
  /** The generation packet `i` saw: commits before it (low 16 bits; Engine.generation). */
  generation(i: number): number {
    return this.view.getUint16(this.res(i, abi.RES_GEN), true);
  }
  /** CtInfo of packet i after the hooks (abi.CtInfo; CtInfo.None: no entry attached). */
  ctInfo(i: number): number {
    return this.mem[this.res(i, abi.RES_CTINFO)]!;
  }
  /** `ct state` bits of packet i after the hooks (abi.CtStateBit; 0 when conntrack did not run). */
  ctState(i: number): number {
    return this.mem[this.res(i, abi.RES_CTSTATE)]!;
  }
  /** Pool index of packet i's conntrack entry, or abi.NONE32. */
  ctEntry(i: number): number {
    return this.view.getUint32(this.res(i, abi.RES_CTENTRY), true);
  }
  /** The batch's conntrack events (evaluate(..., { ctEvents: true })) in order, with the entry as it was at each. */
  ctEvents(): CtEvent[] {
    if (!this.ctc) return [];
    const out: CtEvent[] = [];
    for (const rec of this.records()) {
      if (rec.kind !== abi.RecordKind.CtEvent) continue;
      const d = this.batch + abi.BATCH_HEADER_SIZE + rec.packet * abi.PKT_SIZE;
      // The packet's own time (ns) where the record names a packet of this batch; else the table time (ms).
      const time = rec.packet < this.count ? this.view.getBigUint64(d + abi.PKT_TSTAMP, true) : undefined;
      out.push(ctEventOf(this.mem, this.view, this.ctc, this.recs, rec, rec.packet < this.count ? rec.packet : undefined, time));
    }
    return out;
  }
  /** Records lost because the record area was full. */
  get recordsDropped(): number {
    return this.view.getUint32(this.recs + abi.RECORDS_DROPPED, true);
  }
  /** The reply of a reject record (RecordKind.Reject): the TCP reset or ICMP/ICMPv6 error bytes, or the reason there is none. */
  rejectReply(rec: VmRecord): RejectReply | undefined {
    if (rec.kind !== abi.RecordKind.Reject || rec.b === 0) return undefined;
    if (rec.b < abi.RECORDS_HEADER_SIZE) return { skip: rec.b };
    const at = this.recs + rec.b;
    const len = this.view.getUint16(at + abi.REJ_REPLY_LEN, true);
    return { family: this.mem[at + abi.REJ_REPLY_FAMILY]!, bytes: this.mem.subarray(at + abi.REJ_REPLY_BYTES, at + abi.REJ_REPLY_BYTES + len) };
  }
  /** The batch's trace, log and reject records in order. */
  records(): VmRecord[] {
    const n = this.view.getUint32(this.recs + abi.RECORDS_COUNT, true);
    const out: VmRecord[] = [];
    for (let k = 0; k < n; k++) {
      const r = this.recs + abi.RECORDS_HEADER_SIZE + k * abi.RECORD_SIZE;
      out.push({
        kind: this.mem[r + abi.REC_KIND]!, sub: this.mem[r + abi.REC_SUB]!, hook: this.mem[r + abi.REC_HOOK]!,
        nfproto: this.mem[r + abi.REC_NFPROTO]!, packet: this.view.getUint32(r + abi.REC_PACKET, true),
        chain: this.view.getUint32(r + abi.REC_CHAIN, true), rule: this.view.getUint32(r + abi.REC_RULE, true),
        a: this.view.getUint32(r + abi.REC_A, true), b: this.view.getUint32(r + abi.REC_B, true),
      });
      const rec = out[out.length - 1]!;
      // A Packet record's block: u16 length, u16 0, the bytes from the network header.
      if (rec.kind === abi.RecordKind.Packet && rec.b) {
        const at = this.recs + rec.b;
        rec.data = this.mem.slice(at + 4, at + 4 + this.view.getUint16(at, true));
      }
    }
    return out;
  }
}

interface Exports {
  memory: WebAssembly.Memory;
  abiVersion(): number;
  init(ruleset: number, image: number, batch: number, records: number): void;
  setShared?(on: number): void;
  newWorker?(batch: number, records: number): number;
  workerEpochAddr?(block: number): number;
  attach?(ctl: number, block: number): number;
  load(ptr: number, len: number): number;
  evaluate(): number;
  ctlAddr(): number;
  imageAddr(): number;
  imageSize(): number;
  batchAddr(): number;
  batchSize(): number;
  recordsAddr(): number;
  hostAddr(): number;
  ctInit?(hashsize: number, max: number, ext: number): number;
  ctAddr?(): number;
  ctAdvance?(t: bigint): number;
  txBegin(): number;
  txAddRule(len: number, mode: number, ref: number): number;
  txDelRule(chain: number, handle: number): number;
  txAddChain(chain: number, table: number, handle: number): number;
  txAddBaseChain(chain: number, table: number, handle: number, hook: number, prio: number, policy: number, nat: number, devLen: number): number;
  txDelChain(chain: number): number;
  chainFree(chain: number): number;
  txAddObject(len: number, object: number): number;
  txDelObject(object: number): number;
  txDelSet(set: number): number;
  txTableDormant(table: number, on: number): number;
  ctRemapPolicies(n: number): void;
  txReplaceSet(len: number, set: number, scratch: number): number;
  setFree(first: number, n: number): number;
  objectFree(object: number): number;
  txAddTable(table: number, family: number): number;
  txDelTable(table: number): number;
  tableFree(table: number): number;
  txFlushChain(chain: number): number;
  txPolicy(chain: number, verdict: number): number;
  txFlushSet(set: number): number;
  txAddSets(len: number, first: number): number;
  txAddElements(set: number, n: number, len: number): number;
  txDelElements(set: number, n: number, len: number): number;
  txCommit(finish: number): number;
  txFinish(): void;
  txAbort(): void;
}

/** One step of an in-place commit (Engine.commitInPlace; assembly/commit.ts). */
export type InPlaceStep =
  | { op: 'addRule'; image: Uint8Array; mode: number; ref: number }
  | { op: 'delRule'; chain: number; handle: number }
  /** a chain at record `chain` (one chainFree offered); `base`: a base chain's hook number, priority, policy (abi Verdict), whether it is a nat chain, and its devices' names (UTF-8, NUL between them) */
  | { op: 'addChain'; chain: number; table: number; handle: number; base?: { hook: number; prio: number; policy: number; nat: boolean; devices: Uint8Array } }
  /** a regular chain whose rules a flushChain step removed */
  | { op: 'delChain'; chain: number }
  | { op: 'flushChain'; chain: number }
  /** a base chain's policy: abi Verdict.Accept or Drop */
  | { op: 'policy'; chain: number; verdict: number }
  | { op: 'flushSet'; set: number }
  /** named sets at descriptors `first` on (setFree offered them): a patch image of sets and elements only */
  | { op: 'addSets'; image: Uint8Array; first: number }
  /** a named set no rule looks up any more */
  | { op: 'delSet'; set: number }
  /** an interval set's next contents, whole (a patch image of the set and its elements), built at descriptor `scratch` (setFree offered it) */
  | { op: 'replaceSet'; set: number; scratch: number; image: Uint8Array }
  /** a named object at record `object` (one objectFree offered): a patch image of the object and its state only */
  | { op: 'addObject'; image: Uint8Array; object: number }
  /** a named object nothing names any more */
  | { op: 'delObject'; object: number }
  /** a table at record `table` (one tableFree offered); `family`: abi Family */
  | { op: 'addTable'; table: number; family: number }
  /** a table whose chains and objects steps before it deleted */
  | { op: 'delTable'; table: number }
  /** a table that goes dormant or wakes */
  | { op: 'tableDormant'; table: number; dormant: boolean }
  | { op: 'addElements' | 'delElements'; set: number; count: number; records: Uint8Array };

/** Decodes a CtEvent record: the entry snapshot at REC_B, its extension after it (when the table has one). */
function ctEventOf(mem: Uint8Array, view: DataView, ctc: number, recs: number, rec: VmRecord, packet: number | undefined, time: bigint | undefined): CtEvent {
  const at = recs + rec.b;
  const timeMs = rec.rule >>> 0;
  const entry = decodeCtEntry({
    mem, view, at, index: rec.chain, nowMs: timeMs, options: view.getUint32(ctc + abi.CTC_FLAGS, true),
    ...(view.getUint32(ctc + abi.CTC_EXT, true) ? { ext: at + abi.CTE_SIZE } : {}),
  });
  return {
    kind: CT_EVENT_KINDS[rec.sub] ?? 'UPDATE', bits: rec.a, ...(packet !== undefined ? { packet } : {}), timeMs,
    time: time ?? view.getBigUint64(ctc + abi.CTC_EPOCH, true) + BigInt(timeMs) * 1_000_000n, entry,
  };
}

/** One VM instance with its memory. */
export class Engine {
  private readonly x: Exports;
  private mem!: Uint8Array;
  private view!: DataView;
  /** Word view of the memory (little-endian, like wasm: the host must be little-endian, as every JS engine in use). */
  private u32!: Uint32Array;
  /** Evaluators on other threads may share the memory (EngineOptions.shared). */
  readonly shared: boolean;
  /** This engine only evaluates, attached to a shared engine's memory (Engine.attach). */
  private readonly attached: boolean;
  private hostModel: HostModel = { interfaces: [] };
  private host: CompiledHost = compileHost({ interfaces: [] });
  /** Cached hook paths of IPv4 packets (pathOf), cleared with the host model. */
  private readonly paths = new Map<number, HookPath>();
  /** The loaded ruleset (names for messages, counters): decoded from the image, or what in-place commits made of it. */
  get program(): Program | undefined {
    return this.programOf?.();
  }
  private programOf?: () => Program | undefined;
  /** The loaded image. */
  image?: Uint8Array;
  /** Address of the conntrack control block (0: no table). */
  private readonly ctc: number = 0;
  /** Linear memory the conntrack table took (bytes ctInit grew the memory by). */
  readonly conntrackBytes: number = 0;

  private constructor(instance: WebAssembly.Instance, o: EngineOptions, attach?: EvaluatorSpec) {
    this.x = instance.exports as unknown as Exports;
    const expect = (abi.BC_VERSION_MAJOR << 16) | abi.BC_VERSION_MINOR;
    if (this.x.abiVersion() !== expect) throw new Error(`VM module speaks bytecode ${this.x.abiVersion() >>> 16}.${this.x.abiVersion() & 0xffff}, this host ${abi.BC_VERSION_MAJOR}.${abi.BC_VERSION_MINOR}`);
    this.shared = !!(o.shared || attach);
    this.attached = !!attach;
    if (this.shared && !this.x.attach) throw new Error('a shared engine needs the shared build of the VM (build/nftvm-shared.wasm)');
    if (attach) {
      if (!this.x.attach!(attach.ctl, attach.block)) throw new Error(`no evaluator regions at ${attach.block} (newEvaluator() makes them)`);
      this.views();
      this.hostModel = attach.host;
      this.host = compileHost(attach.host);
      return;
    }
    this.x.init(o.rulesetBytes ?? 16 << 20, o.imageBytes ?? 4 << 20, o.batchBytes ?? 8 << 20, o.recordBytes ?? 1 << 20);
    const ct = this.shared ? false : o.conntrack;
    if (this.shared && o.conntrack !== false) throw new Error('a shared engine has no conntrack table yet: create it with conntrack: false');
    if (ct !== false && this.x.ctInit && this.x.ctAddr) {
      const before = this.x.memory.buffer.byteLength;
      const ext = ct?.accounting || ct?.labels ? 1 : 0;
      const rc = this.x.ctInit(ct?.hashsize ?? 0, ct?.max ?? 0, ext);
      if (rc < 0) throw new Error(`the conntrack table (hashsize ${ct?.hashsize ?? 'default'}, max ${ct?.max ?? 'default'}) does not fit the VM's memory`);
      this.conntrackBytes = this.x.memory.buffer.byteLength - before;
      this.ctc = this.x.ctAddr();
    } else if (ct && Object.keys(ct).length) throw new Error('this build of the VM has no conntrack (ctInit export missing)');
    if (this.shared) this.x.setShared!(1);
    // Regions are fixed after init() and ctInit(); only newEvaluator() grows the memory again (and takes new views).
    this.views();
    if (this.ctc && ct) this.configureConntrack(ct);
    if (o.seed !== undefined) this.view.setBigUint64(this.x.ctlAddr() + abi.VM_PRNG, o.seed || 1n, true);
    this.setHost(o.host ?? { interfaces: [] });
  }

  private views(): void {
    this.mem = new Uint8Array(this.x.memory.buffer);
    this.view = new DataView(this.x.memory.buffer);
    this.u32 = new Uint32Array(this.x.memory.buffer);
  }

  /** Writes timeouts and options over the defaults ctInit() left in the control block. */
  private configureConntrack(ct: ConntrackOptions): void {
    const c = this.ctc;
    let flags = this.view.getUint32(c + abi.CTC_FLAGS, true);
    const opt = (on: boolean | undefined, bit: number) => {
      if (on === true) flags |= bit;
      else if (on === false) flags &= ~bit;
    };
    opt(ct.tcpLoose, abi.CtOption.TcpLoose);
    opt(ct.tcpBeLiberal, abi.CtOption.TcpBeLiberal);
    opt(ct.checksum, abi.CtOption.Checksum);
    opt(ct.tcpIgnoreInvalidRst, abi.CtOption.TcpIgnoreInvalidRst);
    opt(ct.accounting, abi.CtOption.Acct);
    this.view.setUint32(c + abi.CTC_FLAGS, flags >>> 0, true);
    if (ct.tcpMaxRetrans !== undefined) this.view.setUint32(c + abi.CTC_MAX_RETRANS, ct.tcpMaxRetrans, true);
    for (const [name, secs] of Object.entries(ct.timeouts ?? {})) {
      const t = CT_TIMEOUTS[name as TimeoutName];
      if (!t) throw new Error(`unknown conntrack timeout '${name}'`);
      if (secs === undefined) continue;
      if (!Number.isInteger(secs) || secs < 0 || secs > 0xffffffff / 1000) throw new Error(`conntrack timeout ${name}: ${secs} is not a whole number of seconds`);
      this.view.setUint32(c + abi.CTC_TIMEOUTS + 4 * t.slot, secs, true);
    }
  }

  /** Instantiates the VM and lays out its memory. */
  static async create(o: EngineOptions): Promise<Engine> {
    const memory = o.shared ? new WebAssembly.Memory({ initial: 64, maximum: 65536, shared: true }) : undefined;
    return new Engine(await Engine.instantiate(o.wasm, memory), o);
  }

  /**
   * An engine that evaluates over a shared engine's memory, on another
   * thread (a worker): `spec` comes from newEvaluator() there, `wasm` is
   * the same shared build. It evaluates batches against whatever the shared
   * engine commits; loading and committing stay with the shared engine.
   */
  static async attach(wasm: BufferSource | WebAssembly.Module, spec: EvaluatorSpec): Promise<Engine> {
    return new Engine(await Engine.instantiate(wasm, spec.memory), { wasm }, spec);
  }

  private static async instantiate(wasm: BufferSource | WebAssembly.Module, memory?: WebAssembly.Memory): Promise<WebAssembly.Instance> {
    const module = wasm instanceof WebAssembly.Module ? wasm : await WebAssembly.compile(wasm);
    const imports = WebAssembly.Module.imports(module);
    if (imports.some((i) => i.kind === 'memory') && !memory) throw new Error('this build of the VM shares its memory (build/nftvm-shared.wasm): create the engine with shared: true');
    if (memory && !imports.some((i) => i.kind === 'memory')) throw new Error('shared: true needs the shared build of the VM (build/nftvm-shared.wasm)');
    return WebAssembly.instantiate(module, {
      env: {
        ...(memory ? { memory } : {}),
        abort: (_m: number, _f: number, line: number, col: number) => {
          throw new Error(`nftvm aborted at ${line}:${col}`);
        },
      },
    });
  }

  /**
   * Regions for one evaluator on another thread (EngineOptions.shared): post
   * the spec to the worker, which makes its engine with Engine.attach.
   */
  newEvaluator(o: { batchBytes?: number; recordBytes?: number } = {}): EvaluatorSpec {
    if (!this.shared || this.attached) throw new Error('newEvaluator() needs an engine created with shared: true');
    const block = this.x.newWorker!(o.batchBytes ?? 8 << 20, o.recordBytes ?? 1 << 20);
    if (!block) throw new Error(`no room for another evaluator (at most ${abi.WORKERS_MAX}, and the memory must fit its regions)`);
    this.views();
    return { memory: this.x.memory, ctl: this.x.ctlAddr(), block, epoch: this.x.workerEpochAddr!(block), host: this.hostModel };
  }

  /**
   * The evaluator of `spec` is gone (its thread ended, perhaps in the middle
   * of a batch): the grace period no longer waits for it.
   */
  evaluatorGone(spec: EvaluatorSpec): void {
    const i32 = new Int32Array(this.x.memory.buffer);
    Atomics.store(i32, spec.epoch >> 2, 0);
    Atomics.notify(i32, spec.epoch >> 2);
  }

  /**
   * The grace period (the kernel's synchronize_rcu): returns once every
   * evaluator on another thread has finished the batch it was in at the
   * last commit, so nothing of an older generation is still being read.
   */
  quiesce(): void {
    if (!this.shared) return;
    const i32 = new Int32Array(this.x.memory.buffer);
    const ctl = this.x.ctlAddr();
    const gen = i32[(ctl + abi.VM_GENERATION) >> 2]!;
    const at = (ctl + abi.VM_WORKER_EPOCHS) >> 2;
    for (let w = 0; w < abi.WORKERS_MAX; w++) {
      for (;;) {
        const v = Atomics.load(i32, at + w);
        // 0: between batches; else 1 + the generation its batch began in.
        if (v === 0 || ((v - 1 - gen) | 0) >= 0) break;
        try {
          Atomics.wait(i32, at + w, v, 5);
        } catch {
          // A browser's main thread may not wait: spin.
        }
      }
    }
  }

  /** Commits so far (loads and transactions): the generation packets now see (BatchResult.generation has its low 16 bits). */
  get generation(): number {
    return this.view.getUint32(this.x.ctlAddr() + abi.VM_GENERATION, true) >>> 1;
  }

  /** Finishes the last in-place commit of a shared engine once no evaluator can still read its old generation (else the next commit does). */
  reclaim(): void {
    if (!this.shared || this.attached) return;
    this.quiesce();
    this.x.txFinish();
  }

  private notAttached(what: string): void {
    if (this.attached) throw new Error(`${what}: this engine evaluates over a shared engine's memory; load and commit there`);
  }

  /** The live ruleset of apply() and list(); made on first use from the text load() was given. */
  private tx?: Transactions;
  /** The text of the last load(text), which apply() starts from. */
  private seed?: Seed;
  /** Interface indexes of the host model by name, for `iif "eth0"` in applied text. */
  private ifaces = new Map<string, number>();

  /**
   * Applies an nft file of commands (`add rule ...`, `delete element ...`,
   * `flush chain ...`) to the running ruleset as one transaction, as `nft -f`
   * does: all or nothing, atomically (src/transaction.ts). Throws
   * TransactionError with nft's error text, leaving the ruleset untouched.
   * Returns what the file's `list` and `reset` commands print with nft
   * (`handles`: as `nft -a -f`); a refused file's is TransactionError.printed.
   */
  apply(text: string, name = 'transaction.nft', read?: FileReader, listing: ListOptions = {}): string {
    this.notAttached('apply()');
    // An image loaded as bytes has no source to apply changes to.
    if (!this.tx && !this.seed && this.image) throw new EngineLoadError('apply() needs a ruleset loaded from text (load(text)) or built by apply() itself, not a bytecode image');
    const tx = this.tx ?? new Transactions(this, this.seed, { read, interfaces: this.ifaces });
    const g = tx.apply(text, name, listing);
    this.tx = tx;
    return g.printed;
  }

  /**
   * What the live ruleset keeps of its history to build whole loads: the
   * transactions (parts) and compiler outputs left after the prunings of
   * what later commits undid (compiler/history.ts); undefined before apply().
   */
  history(): { parts: number; outputs: number; prunes: { made: number; refused: number } } | undefined {
    const live = this.tx?.live;
    if (!live) return undefined;
    return { parts: live.current.parts.length, outputs: live.current.result.outputs.length, prunes: { ...live.prunes } };
  }

  /** The running ruleset as `nft list ruleset` prints it (`handles`: `-a`), with live counters after apply(). */
  list(opts: ListOptions = {}): string {
    this.tx ??= new Transactions(this, this.seed, { interfaces: this.ifaces });
    return this.tx.list(opts);
  }

  /** Replaces the host model (interfaces, addresses, routes, forwarding). */
  setHost(host: HostModel): void {
    this.notAttached('setHost()');
    this.hostModel = host;
    this.ifaces = new Map(host.interfaces.map((i) => [i.name, i.index] as [string, number]));
    writeHost(this.mem, this.x.hostAddr(), host);
    this.host = compileHost(host);
    this.paths.clear();
  }

  /**
   * Loads a ruleset: nft text (compiled and checked as `nft -c` would) or a
   * bytecode image. Atomic: on any error the previous ruleset stays active.
   */
  load(input: string | Uint8Array, name = 'ruleset.nft', read?: FileReader): void {
    this.notAttached('load()');
    let image: Uint8Array;
    if (typeof input === 'string') {
      const r = checkRuleset({ name, text: input }, read);
      if (r.diagnostics.length) throw new EngineLoadError(renderDiagnostics(r.diagnostics));
      image = encodeBytecode(programOf(r));
    } else image = input;
    if (image.length > this.x.imageSize()) throw new EngineLoadError(`image of ${image.length} bytes exceeds the image buffer (${this.x.imageSize()} bytes)`);
    // The other slot may still be read by an evaluator on another thread that is in the last generation.
    this.quiesce();
    this.mem.set(image, this.x.imageAddr());
    const rc = this.x.load(this.x.imageAddr(), image.length);
    if (rc !== abi.LoadError.Ok) {
      let p: Program | undefined;
      try {
        p = decodeBytecode(image);
      } catch {
        p = undefined;
      }
      const e = readLoadError(this.view, this.x.ctlAddr());
      throw new EngineLoadError(formatLoadError(e, p), e);
    }
    this.image = image.slice();
    // A new ruleset from outside apply(): the live ruleset starts again from it.
    this.tx = undefined;
    this.seed = typeof input === 'string' ? { text: input, name, ...(read ? { read } : {}) } : undefined;
    // Decoded when first asked for (a fifth of a large load otherwise). The VM may accept a
    // non-canonical image the decoder refuses; names are then unavailable.
    const loaded = this.image;
    let program: Program | undefined | null = null;
    this.programOf = () => {
      if (program === null) {
        try {
          program = decodeBytecode(loaded);
        } catch {
          program = undefined;
        }
      }
      return program;
    };
  }

  /**
   * Applies `steps` to the running ruleset as one in-place transaction
   * (assembly/commit.ts): all of them into the next generation, then one
   * flip of the generation cursor. If the VM cannot make one of them in
   * place (no spare room, a kind of change it leaves to a whole load) or
   * refuses it, nothing changes and the result is false: the caller then
   * loads the whole next generation. `program` describes the ruleset after.
   */
  commitInPlace(steps: InPlaceStep[], program: () => Program): boolean {
    this.notAttached('commitInPlace()');
    const x = this.x;
    const img = x.imageAddr();
    // txBegin finishes the last commit: no evaluator may still be in its old generation.
    this.quiesce();
    if (x.txBegin() !== abi.LoadError.Ok) return false;
    for (const s of steps) {
      let rc: number;
      if (s.op === 'delRule') rc = x.txDelRule(s.chain, s.handle);
      else if (s.op === 'addChain' && !s.base) rc = x.txAddChain(s.chain, s.table, s.handle);
      else if (s.op === 'addChain') {
        // The device names go in the image buffer.
        const b = s.base!;
        if (b.devices.length > x.imageSize()) rc = abi.LoadError.Truncated;
        else {
          this.mem.set(b.devices, img);
          rc = x.txAddBaseChain(s.chain, s.table, s.handle, b.hook, b.prio, b.policy, b.nat ? 1 : 0, b.devices.length);
        }
      }
      else if (s.op === 'delChain') rc = x.txDelChain(s.chain);
      else if (s.op === 'flushChain') rc = x.txFlushChain(s.chain);
      else if (s.op === 'policy') rc = x.txPolicy(s.chain, s.verdict);
      else if (s.op === 'flushSet') rc = x.txFlushSet(s.set);
      else if (s.op === 'delObject') rc = x.txDelObject(s.object);
      else if (s.op === 'delSet') rc = x.txDelSet(s.set);
      else if (s.op === 'addTable') rc = x.txAddTable(s.table, s.family);
      else if (s.op === 'delTable') rc = x.txDelTable(s.table);
      else if (s.op === 'tableDormant') rc = x.txTableDormant(s.table, s.dormant ? 1 : 0);
      else {
        const bytes = s.op === 'addRule' || s.op === 'addSets' || s.op === 'addObject' || s.op === 'replaceSet' ? s.image : s.records;
        if (bytes.length > x.imageSize()) rc = abi.LoadError.Truncated;
        else {
          this.mem.set(bytes, img);
          if (s.op === 'addRule') rc = x.txAddRule(bytes.length, s.mode, s.ref);
          else if (s.op === 'addSets') rc = x.txAddSets(bytes.length, s.first);
          else if (s.op === 'addObject') rc = x.txAddObject(bytes.length, s.object);
          else if (s.op === 'replaceSet') rc = x.txReplaceSet(bytes.length, s.set, s.scratch);
          else rc = s.op === 'addElements' ? x.txAddElements(s.set, s.count, bytes.length) : x.txDelElements(s.set, s.count, bytes.length);
        }
      }
      if (rc !== abi.LoadError.Ok) {
        x.txAbort();
        return false;
      }
    }
    // Shared: finished at the next commit or reclaim(), after the grace period; else at once.
    x.txCommit(this.shared ? 0 : 1);
    let cached: Program | undefined;
    this.programOf = () => (cached ??= program());
    return true;
  }

  /**
   * Whether an in-place commit may put a new chain at record `chain`: the
   * next record of the array, or one whose chain a commit deleted and a
   * grace period has passed since (assembly/commit.ts chainFree).
   */
  chainFree(chain: number): boolean {
    return this.x.chainFree(chain) === 1;
  }

  /** Whether an in-place commit may put `n` new sets (named, or a rule's anonymous ones) at descriptors `first` on (assembly/commit.ts setFree). */
  setFree(first: number, n: number): boolean {
    return this.x.setFree(first, n) === 1;
  }

  /** Whether an in-place commit may put a new named object at record `object` (assembly/commit.ts objectFree). */
  objectFree(object: number): boolean {
    return this.x.objectFree(object) === 1;
  }

  /** Whether an in-place commit may put a new table at record `table` (assembly/commit.ts tableFree). */
  tableFree(table: number): boolean {
    return this.x.tableFree(table) === 1;
  }

  /**
   * The active generation's rules in program order (chain by chain, as the
   * image lists them), each as the range of its records in the VM's copy
   * of the code: in-place commits add rules anywhere in memory.
   */
  private activeRules(): { chain: number; handle: number; code: number; end: number }[] {
    const v = this.view;
    const rs = v.getUint32(this.x.ctlAddr() + abi.VM_ACTIVE, true);
    if (!rs) return [];
    const skip = layout.RuleGen.Gen0Inactive << (v.getUint32(this.x.ctlAddr() + abi.VM_GEN_CURSOR, true) & 1);
    const chains = v.getUint32(rs + layout.RS_CHAINS, true);
    const rules = v.getUint32(rs + layout.RS_RULES, true);
    const out: { chain: number; handle: number; code: number; end: number }[] = [];
    for (let c = 0; c < v.getUint32(rs + layout.RS_NCHAINS, true); c++) {
      const ch = chains + c * layout.CH_SIZE;
      const first = v.getUint32(ch + layout.CH_FIRST, true);
      for (let i = 0; i < v.getUint32(ch + layout.CH_COUNT, true); i++) {
        const r = rules + (first + i) * layout.RU_SIZE;
        if (this.mem[r + layout.RU_FFLAGS]! & skip) continue;
        out.push({ chain: c, handle: v.getUint32(r + layout.RU_HANDLE, true), code: v.getUint32(r + layout.RU_CODE, true), end: v.getUint32(r + layout.RU_END, true) });
      }
    }
    return out;
  }

  /**
   * The hook path of a packet without an explicit family and hooks. Paths of
   * IPv4 packets are cached by (iif, link layer, destination): hookPath()
   * depends on nothing else for them, and routing each packet again is most
   * of the host's per-packet cost.
   */
  private pathOf(data: Uint8Array, iif: number, ether: boolean): HookPath {
    let nh = -1;
    if (ether) {
      if (data.length >= 34 && data[12] === 0x08 && data[13] === 0x00) nh = 14;
    } else if (data.length >= 20 && data[0]! >> 4 !== 6) nh = 0;
    if (nh < 0 || iif > 0xffff) return hookPath(this.host, data, { iif, ether });
    const daddr = ((data[nh + 16]! << 24) | (data[nh + 17]! << 16) | (data[nh + 18]! << 8) | data[nh + 19]!) >>> 0;
    const key = (iif * 2 + (ether ? 1 : 0)) * 0x100000000 + daddr;
    let path = this.paths.get(key);
    if (path === undefined) {
      if (this.paths.size >= 1 << 16) this.paths.clear();
      path = hookPath(this.host, data, { iif, ether });
      this.paths.set(key, path);
    }
    return path;
  }

  /** Writes the packets into the batch area, runs them in one call, returns views of the results. */
  evaluate(packets: readonly PacketIn[], opts: { trace?: 'all' | 'nftrace'; ctEvents?: boolean } = {}): BatchResult {
    const base = this.x.batchAddr();
    const cap = this.x.batchSize();
    const n = packets.length;
    const results = abi.BATCH_HEADER_SIZE + n * abi.PKT_SIZE;
    let data = results + n * abi.RES_SIZE;
    const mem = this.mem;
    const u32 = this.u32;
    const flags = (opts.trace === 'all' ? abi.BatchFlags.TraceAll : opts.trace === 'nftrace' ? abi.BatchFlags.TraceNftrace : 0) | (opts.ctEvents ? abi.BatchFlags.CtEvents : 0);
    // The batch area is 16-byte aligned and descriptors are PKT_SIZE (a multiple of 4) apart: word stores.
    u32[(base + abi.BATCH_COUNT) >> 2] = n;
    u32[(base + abi.BATCH_FLAGS) >> 2] = flags;
    u32[(base + abi.BATCH_RESULTS) >> 2] = results;
    for (let k = 0; k < n; k++) {
      const p = packets[k]!;
      const bytes = p.data;
      const len = bytes.length;
      const d = base + abi.BATCH_HEADER_SIZE + k * abi.PKT_SIZE;
      data = (data + 3) & ~3;
      if (data + len > cap) throw new Error(`batch of ${n} packets does not fit the batch area (${cap} bytes)`);
      mem.set(bytes, base + data);
      const iif = p.iif ?? 0;
      const ether = p.ether ?? iif !== 0;
      let family = p.family;
      let hooks = p.hooks;
      let oif = p.oif ?? 0;
      if (family === undefined || hooks === undefined) {
        const path = this.pathOf(bytes, iif, ether);
        family ??= path.family;
        hooks ??= path.hooks;
        if (p.oif === undefined) oif = path.oif;
      }
      const nh = hooks.length;
      if (nh > abi.PKT_HOOK_MAX) throw new Error(`packet ${k}: more than ${abi.PKT_HOOK_MAX} hooks`);
      const w = d >> 2;
      u32[w + (abi.PKT_DATA >> 2)] = data;
      u32[w + (abi.PKT_LEN >> 2)] = len;
      mem[d + abi.PKT_FAMILY] = family;
      const forwarding = family === abi.Family.Ipv4 ? this.host.forward4 : family === abi.Family.Ipv6 && this.host.forward6;
      mem[d + abi.PKT_FLAGS] = (ether ? abi.PktFlags.Ether : 0) | (p.socket ? abi.PktFlags.Socket : 0) | (p.nftrace ? abi.PktFlags.Nftrace : 0) | (forwarding ? abi.PktFlags.Forwarding : 0) | (p.ct ? abi.PktFlags.CtCarry : 0);
      if (p.ct) {
        u32[(d + abi.PKT_CT_ENTRY) >> 2] = p.ct.entry;
        mem[d + abi.PKT_CTINFO] = p.ct.info;
      }
      mem[d + abi.PKT_PKTTYPE] = p.pkttype ?? 0;
      mem[d + abi.PKT_HOOK_COUNT] = nh;
      for (let i = 0; i < nh; i++) mem[d + abi.PKT_HOOKS + i] = hooks[i]!;
      u32[w + (abi.PKT_IIF >> 2)] = iif;
      u32[w + (abi.PKT_OIF >> 2)] = oif;
      u32[w + (abi.PKT_MARK >> 2)] = p.mark ?? 0;
      if (p.tstamp === undefined) {
        u32[w + (abi.PKT_TSTAMP >> 2)] = 0;
        u32[w + (abi.PKT_TSTAMP >> 2) + 1] = 0;
      } else this.view.setBigUint64(d + abi.PKT_TSTAMP, p.tstamp, true);
      u32[w + (abi.PKT_SKUID >> 2)] = p.socket?.uid ?? 0;
      u32[w + (abi.PKT_SKGID >> 2)] = p.socket?.gid ?? 0;
      data += len;
    }
    const rc = this.x.evaluate();
    if (rc < 0) throw new Error('batch area header rejected by the VM');
    return new BatchResult(this.view, mem, base, base + results, n, this.x.recordsAddr(), this.ctc);
  }

  /** Evaluates a batch already laid out in the batch area (batchView()); returns the packet count. */
  evaluateRaw(): number {
    return this.x.evaluate();
  }

  /** The batch area, for hosts that write descriptors themselves (abi BATCH_*, PKT_*, RES_*). */
  batchView(): { mem: Uint8Array; base: number; size: number } {
    return { mem: this.mem, base: this.x.batchAddr(), size: this.x.batchSize() };
  }

  /** The counter of every rule that has one: rule handle → packets and bytes (first counter of the rule). */
  ruleCounters(): Map<number, { chain: string; packets: bigint; bytes: bigint }> {
    const out = new Map<number, { chain: string; packets: bigint; bytes: bigint }>();
    const program = this.program;
    if (!program) return out;
    for (const r of this.activeRules()) {
      for (let p = r.code; p < r.end; p += this.view.getUint16(p + 2, true)) {
        if (this.mem[p] !== abi.Op.Counter) continue;
        out.set(r.handle, { chain: program.chains[r.chain]!.name, packets: this.view.getBigUint64(p + abi.COUNTER_PKTS, true), bytes: this.view.getBigUint64(p + abi.COUNTER_BYTES, true) });
        break;
      }
    }
    return out;
  }

  /**
   * Live values of every `counter` and `quota` record, in program order: per
   * rule (image order) its records in instruction order, per object its state
   * record. The listing prints these (`counter packets 3 bytes 180`).
   */
  liveStates(): { rules: LiveState[][]; objects: (LiveState | undefined)[] } {
    if (!this.image || !this.program) return { rules: [], objects: [] };
    const at = (p: number): LiveState | undefined => {
      if (this.mem[p] === abi.Op.Counter) return { op: 'counter', packets: this.view.getBigUint64(p + abi.COUNTER_PKTS, true), bytes: this.view.getBigUint64(p + abi.COUNTER_BYTES, true) };
      if (this.mem[p] === abi.Op.Quota) return { op: 'quota', consumed: this.view.getBigUint64(p + abi.QUOTA_CONSUMED, true) };
      if (this.mem[p] === abi.Op.Last) return { op: 'last', used: this.mem[p + abi.LAST_SET] ? this.view.getBigUint64(p + abi.LAST_TIME, true) : undefined };
      return undefined;
    };
    const rules = this.activeRules().map((r) => {
      const out: LiveState[] = [];
      for (let p = r.code; p < r.end; p += this.view.getUint16(p + 2, true)) {
        const st = at(p);
        if (st) out.push(st);
      }
      return out;
    });
    const objects = this.program.objects.map((_, k) => {
      const p = this.objectState(k);
      return p === undefined ? undefined : at(p);
    });
    return { rules, objects };
  }

  /** Address of named object `k`'s state record in the VM (its counter or quota instruction), if it has one (in-place commits put new ones anywhere). */
  private objectState(k: number): number | undefined {
    const v = this.view;
    const rs = v.getUint32(this.x.ctlAddr() + abi.VM_ACTIVE, true);
    if (!rs || k >= v.getUint32(rs + layout.RS_NOBJECTS, true)) return undefined;
    const st = v.getUint32(v.getUint32(rs + layout.RS_OBJECTS, true) + k * layout.OB_SIZE + layout.OB_STATE, true);
    return st || undefined;
  }

  /** Named counters and quotas `objects` (indices in program.objects) start again from zero (`reset counters`). */
  /** After a load: conntrack entries' timeout policies follow their objects (`map[old index]` = new index + 1, 0: gone; src/transaction.ts). */
  remapCtPolicies(map: Uint8Array): void {
    if (!map.length || map.length > this.x.imageSize()) return;
    this.mem.set(map, this.x.imageAddr());
    this.x.ctRemapPolicies(map.length);
  }

  resetObjects(objects: number[]): void {
    if (!this.image) return;
    for (const k of objects) {
      const p = this.objectState(k);
      if (p === undefined) continue;
      if (this.mem[p] === abi.Op.Counter) {
        this.view.setBigUint64(p + abi.COUNTER_PKTS, 0n, true);
        this.view.setBigUint64(p + abi.COUNTER_BYTES, 0n, true);
      } else if (this.mem[p] === abi.Op.Quota) this.view.setBigUint64(p + abi.QUOTA_CONSUMED, 0n, true);
    }
  }

  /**
   * Advances the conntrack table's time to `atNs` (ns since the Unix epoch,
   * like packet timestamps) and reaps every entry expired by then. The
   * DESTROY events of the reaped entries are returned when the last batch
   * asked for events (the VM decides; `events` is empty otherwise).
   */
  ctAdvance(atNs: bigint): { reaped: number; events: CtEvent[] } {
    if (!this.ctc || !this.x.ctAdvance) return { reaped: 0, events: [] };
    const recs = this.x.recordsAddr();
    this.view.setUint32(recs + abi.RECORDS_COUNT, 0, true);
    const reaped = this.x.ctAdvance(atNs);
    const events: CtEvent[] = [];
    const n = this.view.getUint32(recs + abi.RECORDS_COUNT, true);
    for (let k = 0; k < n; k++) {
      const r = recs + abi.RECORDS_HEADER_SIZE + k * abi.RECORD_SIZE;
      if (this.mem[r + abi.REC_KIND] !== abi.RecordKind.CtEvent) continue;
      const rec: VmRecord = {
        kind: abi.RecordKind.CtEvent, sub: this.mem[r + abi.REC_SUB]!, hook: this.mem[r + abi.REC_HOOK]!, nfproto: this.mem[r + abi.REC_NFPROTO]!,
        packet: this.view.getUint32(r + abi.REC_PACKET, true), chain: this.view.getUint32(r + abi.REC_CHAIN, true), rule: this.view.getUint32(r + abi.REC_RULE, true),
        a: this.view.getUint32(r + abi.REC_A, true), b: this.view.getUint32(r + abi.REC_B, true),
      };
      events.push(ctEventOf(this.mem, this.view, this.ctc, recs, rec, undefined, undefined));
    }
    return { reaped: reaped >>> 0, events };
  }

  /**
   * The conntrack table as `conntrack -L` lists it: confirmed entries whose
   * timeout is after the table's time, in pool order. With `atNs`, the table
   * is first advanced to that time (ctAdvance), reaping what expired.
   */
  conntrack(atNs?: bigint): CtEntry[] {
    if (!this.ctc) return [];
    if (atNs !== undefined) this.ctAdvance(atNs);
    const c = this.ctc;
    const v = this.view;
    const pool = v.getUint32(c + abi.CTC_POOL, true);
    const max = v.getUint32(c + abi.CTC_MAX, true);
    const ext = v.getUint32(c + abi.CTC_EXT, true);
    const now = v.getUint32(c + abi.CTC_NOW, true);
    const options = v.getUint32(c + abi.CTC_FLAGS, true);
    const out: CtEntry[] = [];
    for (let i = 0; i < max; i++) {
      const at = pool + i * abi.CTE_SIZE;
      if (!(this.mem[at + abi.CTE_USED]! & 1)) continue;
      if (!(v.getUint16(at + abi.CTE_STATUS, true) & abi.CtStatus.Confirmed)) continue;
      if (((v.getUint32(at + abi.CTE_TIMEOUT, true) - now) | 0) <= 0) continue;
      out.push(decodeCtEntry({ mem: this.mem, view: v, at, index: i, nowMs: now, options, ...(ext ? { ext: ext + i * abi.CTX_SIZE } : {}) }));
    }
    setMasterRefs(out);
    return out;
  }

  /** Families whose packets conntrack tracks under the loaded ruleset (a ct or nat expression in an ip, ip6 or inet table). */
  trackedFamilies(): { ipv4: boolean; ipv6: boolean } {
    const f = this.ctc ? this.view.getUint32(this.ctc + abi.CTC_FAMILIES, true) : 0;
    return { ipv4: (f & (1 << abi.Family.Ipv4)) !== 0, ipv6: (f & (1 << abi.Family.Ipv6)) !== 0 };
  }

  /** Sizes and statistics of the conntrack table (undefined: the engine has none). */
  conntrackStats(): CtStats | undefined {
    if (!this.ctc) return undefined;
    const c = this.ctc;
    const u = (o: number) => this.view.getUint32(c + o, true);
    return {
      entries: u(abi.CTC_COUNT), max: u(abi.CTC_MAX), buckets: u(abi.CTC_NBUCKETS),
      memoryBytes: u(abi.CTC_NBUCKETS) * 4 + u(abi.CTC_MAX) * (abi.CTE_SIZE + (u(abi.CTC_EXT) ? abi.CTX_SIZE : 0)),
      invalid: u(abi.CTC_STAT_INVALID), drop: u(abi.CTC_STAT_DROP), earlyDrop: u(abi.CTC_STAT_EARLY_DROP), icmpError: u(abi.CTC_STAT_ICMP_ERROR),
      insert: u(abi.CTC_STAT_INSERT), found: u(abi.CTC_STAT_FOUND),
    };
  }

  /** Name of chain `k` of the loaded ruleset. */
  chainName(k: number): string | undefined {
    return this.program?.chains[k]?.name;
  }
}
