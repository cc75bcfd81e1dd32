// The body of one evaluator thread (Node worker_threads; src/threads.ts
// starts it, bundled as dist/nftvm-evaluator.mjs): an Engine attached to a
// shared engine's memory that evaluates the packets it is sent, batch after
// batch, against whatever generation the shared engine has committed.
// `{ op: 'run', packets, repeat: 100 }` → `{ op: 'ran', packets: 3000, outcomes }`.

import { parentPort, workerData } from 'node:worker_threads';
import { Engine, type EvaluatorSpec, type PacketIn } from './engine.js';
import type { RunRequest, RunReply } from './threads.js';

const port = parentPort!;
const { wasm, spec } = workerData as { wasm: WebAssembly.Module; spec: EvaluatorSpec };
const engine = await Engine.attach(wasm, spec);

/** Evaluates `packets` `repeat` times (at least once; or until `stop[0]` is set); outcomes are the distinct (packet, generation, verdict, chain, rule) seen. */
function run(m: RunRequest): RunReply {
  const stop = m.stop ? new Int32Array(m.stop) : undefined;
  const seen = new Set<string>();
  let n = 0;
  let batches = 0;
  const started = performance.now();
  let r = engine.evaluate(m.packets as PacketIn[]);
  for (let k = 0; m.repeat === undefined || k < m.repeat; k++) {
    if (stop && Atomics.load(stop, 0)) break;
    // raw: the batch area still holds the packets (a ruleset that rewrites packets would see its own rewrites).
    if (k > 0) {
      if (m.raw) engine.evaluateRaw();
      else r = engine.evaluate(m.packets as PacketIn[]);
    }
    if (m.outcomes) for (let i = 0; i < m.packets.length; i++) seen.add(`${i} ${r.generation(i)} ${r.verdict(i)} ${r.chain(i)} ${r.rule(i)}`);
    n += m.packets.length;
    batches++;
  }
  return { op: 'ran', packets: n, batches, ms: performance.now() - started, ...(m.outcomes ? { outcomes: [...seen] } : {}) };
}

port.on('message', (m: RunRequest) => {
  try {
    port.postMessage(run(m));
  } catch (err) {
    port.postMessage({ op: 'error', message: (err as Error).message });
  }
});
port.postMessage({ op: 'ready' });
