// "did you mean ...?" suggestions for unknown names, matching what nft 1.0.6
// suggests. Its edit distance (nftables: src/misspell.c, rewritten) compares
// each string's character *after* the current position (the last one against
// the terminating NUL), and keeps its table in one array whose rows are one
// entry too short, so the last column of a row is the first of the next:
// `ssh_port` is suggested for `web_ports`, `abcdefgh` not for `abcdeXYZi`,
// `later` for `c`, `post` for `nosuch` but not `in`.

function distance(a: string, b: string): number {
  const la = a.length;
  const lb = b.length;
  const ch = (s: string, i: number) => (i < s.length ? s.charCodeAt(i) : 0);
  const d = new Array<number>((la + 1) * (lb + 1)).fill(0);
  // Row stride lb, not lb + 1, as nft's DISTANCE(i, j) macro has it.
  const at = (i: number, j: number) => i * lb + j;
  for (let i = 0; i <= la; i++) d[at(i, 0)] = i;
  for (let j = 0; j <= lb; j++) d[at(0, j)] = j;
  for (let i = 1; i <= la; i++) {
    for (let j = 1; j <= lb; j++) {
      const sub = ch(a, i) === ch(b, j) ? 0 : 1;
      let v = Math.min(d[at(i - 1, j)]! + 1, d[at(i, j - 1)]! + 1, d[at(i - 1, j - 1)]! + sub);
      if (i > 1 && j > 1 && ch(a, i) === ch(b, j - 1) && ch(a, i - 1) === ch(b, j)) v = Math.min(v, d[at(i - 2, j - 2)]! + sub);
      d[at(i, j)] = v;
    }
  }
  return d[at(la, lb)]!;
}

/** The distance of `known` from `typed` if nft would suggest it, else undefined. */
function misspelling(known: string, typed: string): number | undefined {
  const max = Math.max(known.length, typed.length);
  const min = Math.min(known.length, typed.length);
  if (max <= 1) return undefined;
  const threshold = max - min <= 1 ? Math.max(Math.ceil(max / 3), 1) : Math.ceil((max + 2) / 3);
  const dist = distance(known, typed);
  return dist <= threshold ? dist : undefined;
}

/** The closest of `candidates` to `typed` that nft would suggest (the first one on ties). */
export function suggest<T>(typed: string, candidates: Iterable<T>, name: (c: T) => string): T | undefined {
  let best: T | undefined;
  let bestDist = Infinity;
  for (const c of candidates) {
    const d = misspelling(name(c), typed);
    if (d !== undefined && d < bestDist) {
      best = c;
      bestDist = d;
    }
  }
  return best;
}
