/** Readable progress output for the demo: numbered steps with elapsed time, notes, and the final table. */

const started = Date.now();
let step = 0;

const elapsed = () => `${((Date.now() - started) / 1000).toFixed(0).padStart(4)}s`;

export function stepStart(title: string): void {
  step += 1;
  process.stdout.write(`\n[${elapsed()}] ${String(step).padStart(2)}. ${title}\n`);
}

export function note(text: string): void {
  for (const line of text.split('\n')) process.stdout.write(`          ${line}\n`);
}

export function table(rows: ReadonlyArray<Readonly<Record<string, string>>>): string {
  const first = rows[0];
  if (!first) return '(nothing recorded)\n';
  const cols = Object.keys(first);
  const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(width[i] ?? 0)).join(' | ')} |`;
  return [line(cols), `|${width.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map((r) => line(cols.map((c) => r[c] ?? '')))].join('\n') + '\n';
}

/** Polls `probe` until it returns a value (not undefined); throws naming `what` after `timeoutMs`. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 120_000, everyMs = 1000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
