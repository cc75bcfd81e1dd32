// The benchmarks' printed tables: rows grouped by section, each section a
// Markdown table whose first column and `left` columns are left-aligned and
// the others right-aligned (numbers).

/** Prints `rows` (section, cells) as one table per section, under `header`, each after a line naming its section (none for the section `''`). */
export function printTables(header: string[], rows: { section: string; cells: string[] }[], left: (c: number) => boolean): void {
  let section = '';
  const table: string[][] = [];
  const flush = () => {
    if (!table.length) return;
    const widths = header.map((h, c) => Math.max(h.length, ...table.map((r) => r[c]!.length)));
    const align = (c: number) => c === 0 || left(c);
    const line = (cells: string[]) => '| ' + cells.map((x, c) => (align(c) ? x.padEnd(widths[c]!) : x.padStart(widths[c]!))).join(' | ') + ' |';
    console.log(line(header));
    console.log('|' + widths.map((w, c) => (align(c) ? '-'.repeat(w + 2) : '-'.repeat(w + 1) + ':')).join('|') + '|');
    for (const r of table) console.log(line(r));
    table.length = 0;
  };
  for (const r of rows) {
    if (r.section !== section) {
      flush();
      section = r.section;
      console.log(`\n${section}`);
    }
    table.push(r.cells);
  }
  flush();
}
