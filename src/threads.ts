// Evaluation on several threads (Node only: worker_threads). A shared engine
// (EngineOptions.shared) owns the memory, loads and commits; each evaluator
// thread (src/evaluator-thread.ts) attaches an engine of its own to that
// memory and evaluates batches. A commit flips what the next packet sees in
// one store; what an older generation held is reclaimed only after every
// evaluator has finished the batch it was in (Engine.quiesce, the kernel's
// RCU grace period). docs/transactions.md, "Evaluator threads".
// `const pool = await EvaluatorPool.start(engine, module, 2); await pool.run(0, { packets, repeat: 100 })`.

import { Worker } from 'node:worker_threads';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Engine, PacketIn } from './engine.js';

/** What an evaluator thread is asked to do: evaluate `packets` `repeat` times, or until `stop` (an Int32Array's buffer) holds a non-zero word 0. */
export interface RunRequest {
  op: 'run';
  packets: PacketIn[];
  repeat?: number;
  stop?: SharedArrayBuffer;
  /** Collect the distinct outcomes "packet generation verdict chain rule". */
  outcomes?: boolean;
  /** Evaluate the batch area again as it is after the first batch (no rewriting of the packets: for rates). */
  raw?: boolean;
}

/** What it answers. */
export interface RunReply {
  op: 'ran';
  packets: number;
  batches: number;
  ms: number;
  outcomes?: string[];
}

/** The bundled thread body: next to this module's bundle (dist/), or dist/ beside the sources. */
function threadScript(): string {
  const tried: string[] = [];
  for (const rel of ['./nftvm-evaluator.mjs', '../dist/nftvm-evaluator.mjs']) {
    const p = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(p)) return p;
    tried.push(p);
  }
  throw new Error(`the evaluator thread script is missing (looked at ${tried.join(', ')}); run \`npm run build\` first`);
}

/** Evaluator threads over one shared engine's memory. */
export class EvaluatorPool {
  private constructor(private readonly workers: Worker[]) {}

  /** Starts `n` evaluator threads on `engine` (created with shared: true from `module`, the shared build). */
  static async start(engine: Engine, module: WebAssembly.Module, n: number, o: { batchBytes?: number; recordBytes?: number } = {}): Promise<EvaluatorPool> {
    const script = threadScript();
    const workers: Worker[] = [];
    try {
      for (let i = 0; i < n; i++) {
        const spec = engine.newEvaluator(o);
        const w = new Worker(script, { workerData: { wasm: module, spec } });
        // A thread that ends, even in the middle of a batch, holds no generation any more.
        w.once('exit', () => engine.evaluatorGone(spec));
        workers.push(w);
        await reply(w, 'ready');
      }
    } catch (err) {
      await Promise.all(workers.map((w) => w.terminate()));
      throw err;
    }
    return new EvaluatorPool(workers);
  }

  get size(): number {
    return this.workers.length;
  }

  /** Has evaluator `i` run `req`; resolves when it is done. */
  run(i: number, req: Omit<RunRequest, 'op'>): Promise<RunReply> {
    const w = this.workers[i];
    if (!w) throw new Error(`no evaluator thread ${i} (the pool has ${this.workers.length})`);
    const done = reply(w, 'ran') as Promise<RunReply>;
    w.postMessage({ op: 'run', ...req });
    return done;
  }

  /** Stops every thread. */
  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/** The next message `op` from `w` (an `error` message or the thread's failure rejects). */
function reply(w: Worker, op: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: { op: string; message?: string }) => {
      if (m.op !== op && m.op !== 'error') return;
      cleanup();
      if (m.op === 'error') reject(new Error(`evaluator thread: ${m.message}`));
      else resolve(m);
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    const onExit = (code: number) => {
      cleanup();
      reject(new Error(`evaluator thread exited (code ${code})`));
    };
    const cleanup = () => {
      w.off('message', onMessage);
      w.off('error', onError);
      w.off('exit', onExit);
    };
    w.on('message', onMessage);
    w.on('error', onError);
    w.on('exit', onExit);
  });
}
