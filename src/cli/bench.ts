// `nftvm bench` (src/cli/bench.ts): evaluation speed on one core. The
// capture's packets are written into the VM's batch area once (data for all
// of them, descriptors kept aside); each wasm call then evaluates the next
// --batch packets after copying their 48-byte descriptors into place, until
// --seconds have passed. Capture parsing and path planning are not timed.

import * as abi from '../../assembly/abi.js';
import type { FileReader } from '../../compiler/index.js';
import { loadReplay, type Io, type ReplayArgs } from './replay.js';
import { flatItems } from '../replay.js';
import { compileHost } from '../host.js';

/** What bench measures. */
export interface BenchReport {
  ruleset: string;
  capture: string;
  /** Evaluations per pass over the capture (packets, plus reassembled datagrams and second passes on lo). */
  packets: number;
  /** Packets per wasm call. */
  batch: number;
  /** Passes over the capture, and evaluations in total. */
  passes: number;
  evaluations: number;
  seconds: number;
  pps: number;
  nsPerPacket: number;
}

const align4 = (n: number) => (n + 3) & ~3;

/** Runs the benchmark and returns its figures. */
export async function bench(a: ReplayArgs, read: FileReader): Promise<BenchReport> {
  // Size the batch area for the whole capture: plan once to know the bytes.
  const probe = await loadReplay(a, read, { batchBytes: 1 << 16, recordBytes: 1 << 16 });
  const items = flatItems(probe.items);
  if (!items.length) throw new Error(`${a.capture}: no packets to evaluate`);
  const n = items.length;
  const per = Math.min(a.batch ?? 4096, n);
  const dataBytes = items.reduce((s, it) => s + align4(it.desc.data.length), 0);
  const dataOff = align4(abi.BATCH_HEADER_SIZE + per * (abi.PKT_SIZE + abi.RES_SIZE));
  const need = dataOff + dataBytes;
  if (need > 1 << 30) throw new Error(`${a.capture}: ${need} bytes of packets do not fit the VM's memory (1 GiB at most)`);
  const l = await loadReplay(a, read, { batchBytes: Math.max(need, 1 << 16), recordBytes: 1 << 16 });
  const replayItems = flatItems(l.items);
  const { mem, base } = l.engine.batchView();
  const view = new DataView(mem.buffer, mem.byteOffset);
  const descs = new Uint8Array(n * abi.PKT_SIZE);
  const dv = new DataView(descs.buffer);
  const ch = compileHost(l.host);
  let at = dataOff;
  replayItems.forEach((it, k) => {
    const d = it.desc;
    const q = k * abi.PKT_SIZE;
    mem.set(d.data, base + at);
    dv.setUint32(q + abi.PKT_DATA, at, true);
    dv.setUint32(q + abi.PKT_LEN, d.data.length, true);
    descs[q + abi.PKT_FAMILY] = d.family;
    // As Engine.evaluate writes them: DNAT routes again, and only a forwarding host forwards.
    const forwarding = d.family === abi.Family.Ipv4 ? ch.forward4 : d.family === abi.Family.Ipv6 && ch.forward6;
    descs[q + abi.PKT_FLAGS] = (d.ether ? abi.PktFlags.Ether : 0) | (forwarding ? abi.PktFlags.Forwarding : 0);
    descs[q + abi.PKT_PKTTYPE] = d.pkttype ?? 0;
    descs[q + abi.PKT_HOOK_COUNT] = d.hooks.length;
    d.hooks.forEach((h, i) => (descs[q + abi.PKT_HOOKS + i] = h));
    dv.setUint32(q + abi.PKT_IIF, d.iif ?? 0, true);
    dv.setUint32(q + abi.PKT_OIF, d.oif ?? 0, true);
    dv.setUint32(q + abi.PKT_MARK, d.mark ?? 0, true);
    dv.setBigUint64(q + abi.PKT_TSTAMP, d.tstamp ?? 0n, true);
    at += align4(d.data.length);
  });
  view.setUint32(base + abi.BATCH_FLAGS, 0, true);
  view.setUint32(base + abi.BATCH_RESULTS, abi.BATCH_HEADER_SIZE + per * abi.PKT_SIZE, true);
  const chunks = Math.ceil(n / per);
  const runChunk = (c: number) => {
    const from = c * per;
    const count = Math.min(per, n - from);
    // One chunk in place: its descriptors are already there when the whole capture is one batch.
    if (chunks > 1) mem.set(descs.subarray(from * abi.PKT_SIZE, (from + count) * abi.PKT_SIZE), base + abi.BATCH_HEADER_SIZE);
    view.setUint32(base + abi.BATCH_COUNT, count, true);
    if (l.engine.evaluateRaw() < 0) throw new Error('batch header rejected by the VM');
    return count;
  };
  mem.set(descs.subarray(0, per * abi.PKT_SIZE), base + abi.BATCH_HEADER_SIZE);
  // Warm-up: one pass (JIT tiers, caches); not counted.
  for (let c = 0; c < chunks; c++) runChunk(c);
  const limit = BigInt(Math.round(a.seconds * 1e9));
  const t0 = process.hrtime.bigint();
  let evaluations = 0;
  let passes = 0;
  let elapsed = 0n;
  do {
    for (let c = 0; c < chunks; c++) evaluations += runChunk(c);
    passes++;
    elapsed = process.hrtime.bigint() - t0;
  } while (elapsed < limit);
  const seconds = Number(elapsed) / 1e9;
  return {
    ruleset: a.ruleset, capture: a.capture, packets: n, batch: per, passes, evaluations, seconds,
    pps: Math.round(evaluations / seconds), nsPerPacket: Math.round((Number(elapsed) / evaluations) * 10) / 10,
  };
}

/** `nftvm bench`: prints the figures (or --json). */
export async function benchCommand(a: ReplayArgs, io: Io, read: FileReader): Promise<number> {
  const r = await bench(a, read);
  if (a.json) io.out(JSON.stringify(r) + '\n');
  else {
    io.out(
      `${r.ruleset} on ${r.capture}: ${r.packets} packets, ${r.batch} per call, ${r.passes} passes in ${r.seconds.toFixed(2)} s\n` +
        `${(r.pps / 1e6).toFixed(2)} Mpps, ${r.nsPerPacket} ns/packet (evaluation only, one core)\n`,
    );
  }
  return 0;
}
