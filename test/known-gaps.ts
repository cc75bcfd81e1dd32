// Reads a known-gaps file: one gap per line, `KEY  reason`, `#` comments.
// Tests fail both on an unlisted failure and on a listed gap that now passes,
// so the list always says exactly what differs from nft.
import { readFileSync, existsSync } from 'node:fs';

/** Gap keys mapped to their reasons. */
export function readGaps(path: string): Map<string, string> {
  const m = new Map<string, string>();
  if (!existsSync(path)) return m;
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const t = line.trim();
    if (!t || t.startsWith('#')) continue;
    const sp = t.search(/\s/);
    const key = sp < 0 ? t : t.slice(0, sp);
    const reason = sp < 0 ? '' : t.slice(sp).trim();
    m.set(key, reason);
  }
  return m;
}
