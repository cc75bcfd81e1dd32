// "did you mean ...?" suggestions for unknown names, matching what nft 1.0.6
// suggests. Its edit distance (nftables: src/misspell.c, observed by
// experiment) compares each string's character *after* the current position
// (the last one against the terminating NUL), so edits near the end weigh
// differently than a textbook Damerau-Levenshtein distance would:
// `ssh_port` is suggested for `web_ports`, `abcdefgh` not for `abcdeXYZi`.

function distance(a: string, b: string): number {
  const ch = (s: string, i: number) => (i < s.length ? s[i] : '\0');
  const d: number[][] = [];
  for (let i = 0; i <= a.length; i++) d.push(Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const sub = ch(a, i) === ch(b, j) ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + sub);
      if (i > 1 && j > 1 && ch(a, i) === ch(b, j - 1) && ch(a, i - 1) === ch(b, j)) v = Math.min(v, d[i - 2]![j - 2]! + sub);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
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
