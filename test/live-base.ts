// What the live-engine tests share: the ruleset transaction.test.ts and
// threads.test.ts start from (a named set, a verdict map jumping to a chain,
// counters), and each packet's outcome as the in-place commit tests compare
// it (commit-chains.test.ts, transaction-inplace.test.ts): `0 input#6 mark 0`.

import { encodeBytecode } from '../compiler/bytecode.js';
import { LiveRuleset } from '../compiler/transaction.js';
import type { Engine, PacketIn } from '../src/engine.js';
import { engine } from './assembly/vm/helpers.js';

export const BASE = `table inet f {
	set blocked {
		type ipv4_addr
		elements = { 10.0.0.66 }
	}
	map svc {
		type inet_service : verdict
		elements = { 22 : jump ssh }
	}
	chain input {
		type filter hook input priority filter; policy drop;
		ip saddr @blocked counter drop
		tcp dport vmap @svc
		tcp dport { 80, 443 } counter accept
		udp dport 53 accept
	}
	chain ssh {
		ip saddr 10.0.0.0/28 accept
		counter reject
	}
}
`;

/** Each packet's verdict and the chain#rule that decided it (`0 input#6`; chain `-` if none), and its mark when `mark`. */
export function outcome(e: Engine, pkts: PacketIn[], o: { mark?: boolean } = {}): string[] {
  const r = e.evaluate(pkts);
  return pkts.map((_, i) => `${r.verdict(i)} ${e.chainName(r.chain(i)) ?? '-'}#${r.rule(i)}${o.mark ? ` mark ${r.mark(i)}` : ''}`);
}

/** An engine that applied `text`, and the compiler's copy of its ruleset. */
export async function applied(text: string): Promise<{ e: Engine; live: LiveRuleset }> {
  const e = await engine();
  const live = new LiveRuleset();
  e.apply(text, 'base.nft');
  live.apply(text, 'base.nft');
  return { e, live };
}

/** Applies `text` to the engine and to the compiler's copy of its ruleset (what a whole load would give). */
export function both(e: Engine, live: LiveRuleset, text: string): void {
  e.apply(text);
  live.apply(text);
}

/** A fresh engine with the compiler's copy of the ruleset, loaded the whole way. */
export async function wholeLoad(live: LiveRuleset): Promise<Engine> {
  const fresh = await engine();
  fresh.load(encodeBytecode(live.current.program));
  return fresh;
}
