// Units of the nft language: times (`1h30m`, `500ms`), byte sizes
// (`10 mbytes`), rate time units (`/second`).

const TIME_UNITS: Record<string, number> = { d: 86400000, h: 3600000, m: 60000, s: 1000, ms: 1 };

/** `1h30m` → 5400000 (ms); a bare number is seconds. Undefined if malformed. */
export function parseTime(text: string): number | undefined {
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const re = /(\d+)(ms|d|h|m|s)/gy;
  let total = 0;
  let pos = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text))) {
    total += Number(m[1]) * TIME_UNITS[m[2]!]!;
    pos = re.lastIndex;
  }
  return pos === text.length && pos > 0 ? total : undefined;
}

/** `kbytes` → 1024n; undefined for anything that is not a byte unit. */
export function parseBytesUnit(text: string): bigint | undefined {
  // nft 1.0.6 knows no larger unit: `1 gbytes` is "Wrong rate format".
  return ({ bytes: 1n, kbytes: 1024n, mbytes: 1048576n } as Record<string, bigint>)[text];
}

/** `second` → 1 (seconds per unit); undefined otherwise. */
export function parseRateUnit(text: string): number | undefined {
  return ({ second: 1, minute: 60, hour: 3600, day: 86400, week: 604800 } as Record<string, number>)[text];
}

/** Prints a time in ms the way libnftnl does in debug output (`30000ms`). */
export function msText(ms: number | bigint): string {
  return `${ms}ms`;
}
