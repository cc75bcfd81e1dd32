// Dead rule records make room in their chain (assembly/commit.ts chainSlot):
// a stream of in-place commits that add and delete rules in a short chain
// stays in place instead of moving the chain until the rule array's spare
// tail runs out and the host falls back to a whole load.

import { describe, expect, it } from 'vitest';
import { encodeBytecode } from '../compiler/bytecode.js';
import { LiveRuleset } from '../compiler/transaction.js';
import * as abi from '../assembly/abi.js';
import type { Engine, PacketIn } from '../src/engine.js';
import { engine, ipv4, rx, tcp } from './assembly/vm/helpers.js';

/** Applies `text` to the engine and to the compiler's copy. */
function both(e: Engine, live: LiveRuleset, text: string): void {
  e.apply(text);
  live.apply(text);
}

const to = (dport: number): PacketIn => rx(ipv4({ src: '10.0.0.9', dst: '10.0.0.1', l4: tcp({ dport, flags: 0x02 }) }));

/** Verdict and deciding rule of a packet to `dport`. */
function fate(e: Engine, dport: number): [number, number] {
  const r = e.evaluate([to(dport)]);
  return [r.verdict(0), r.rule(0)];
}

/** Handle of the listed rule that starts with `start` (its matches, up to its counter). */
function handleOf(e: Engine, start: string): number {
  const m = new RegExp(`\\t${start} [^\\n]*# handle (\\d+)\\n`).exec(e.list({ handles: true }));
  if (!m) throw new Error(`no rule ${start}`);
  return Number(m[1]);
}

/** The packets' fates in `e` and in a fresh engine loaded with what the compiler says the ruleset is now. */
async function sameAsFresh(e: Engine, live: LiveRuleset, ports: number[]): Promise<void> {
  const fresh = await engine();
  fresh.load(encodeBytecode(live.current.program));
  for (const p of ports) expect(fate(e, p), `port ${p}`).toEqual(fate(fresh, p));
}

const ACCEPT = abi.Verdict.Accept;
const DROP = abi.Verdict.Drop;

describe('dead rule records make room (assembly/commit.ts chainSlot)', () => {
  it('a short chain with rules coming and going anywhere in it stays where it is, in place', async () => {
    // Room to spare in the slot: here the chain's rule slots are what runs out, if the dead records in them are not squeezed out.
    const e = await engine();
    const live = new LiveRuleset();
    const text = 'table inet f {\n\tchain input {\n\t\ttype filter hook input priority filter; policy drop;\n\t\ttcp dport 2000 counter accept\n\t}\n}\n';
    e.apply(text, 'base.nft');
    live.apply(text, 'base.nft');
    const image = e.image;
    const kept = handleOf(e, 'tcp dport 2000');
    for (let i = 0; i < 500; i++) {
      const port = 1000 + (i % 13);
      // At the end, at the start, after and before the rule that stays: each placed where the rules are once the dead ones are gone.
      const how = i % 4;
      const rule = how < 2 ? `tcp dport ${port} counter accept` : 'tcp dport 2000 counter drop';
      both(e, live, [`add rule inet f input ${rule}`, `insert rule inet f input ${rule}`, `add rule inet f input position ${kept} ${rule}`, `insert rule inet f input position ${kept} ${rule}`][how]!);
      const h = Number([...e.list({ handles: true }).matchAll(/# handle (\d+)\n/g)].map((m) => Number(m[1])).reduce((a, b) => Math.max(a, b)));
      if (how < 2) expect(fate(e, port), rule).toEqual([ACCEPT, h]);
      expect(fate(e, 2000), rule).toEqual(how === 3 ? [DROP, h] : [ACCEPT, kept]);
      both(e, live, `delete rule inet f input handle ${h}`);
      expect(e.image, `cycle ${i}`).toBe(image);
    }
    await sameAsFresh(e, live, [1000, 1012, 2000]);
  });
});
