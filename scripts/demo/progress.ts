/** Readable progress output for the demo: numbered steps with elapsed time, notes, tables and step timings. */

const started = Date.now();
const steps: Array<{ n: number; title: string; at: number }> = [];

const elapsed = () => `${((Date.now() - started) / 1000).toFixed(0).padStart(4)}s`;

export function stepStart(title: string): void {
  steps.push({ n: steps.length + 1, title, at: Date.now() });
  process.stdout.write(`\n[${elapsed()}] ${String(steps.length).padStart(2)}. ${title}\n`);
}

export function note(text: string): void {
  for (const line of text.split('\n')) process.stdout.write(`          ${line}\n`);
}

/** Seconds each step took (until the next step started, the last one until now), and the total. */
export function stepTimings(): { steps: Array<{ n: number; title: string; seconds: number }>; totalSeconds: number } {
  const now = Date.now();
  return {
    steps: steps.map((s, i) => ({ n: s.n, title: s.title, seconds: ((steps[i + 1]?.at ?? now) - s.at) / 1000 })),
    totalSeconds: (now - started) / 1000,
  };
}

export function table(rows: ReadonlyArray<Readonly<Record<string, string>>>, indent = ''): string {
  const first = rows[0];
  if (!first) return `${indent}(nothing recorded)\n`;
  const cols = Object.keys(first);
  const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: string[]) => `${indent}| ${cells.map((c, i) => c.padEnd(width[i] ?? 0)).join(' | ')} |`;
  return (
    [
      line(cols),
      `${indent}|${width.map((w) => '-'.repeat(w + 2)).join('|')}|`,
      ...rows.map((r) => line(cols.map((c) => r[c] ?? ''))),
    ].join('\n') + '\n'
  );
}

/** Thrown to end the demo early with a plain message (a workflow outcome, not a crash); `waitFor` passes it on. */
export class DemoStopped extends Error {}

/**
 * Polls `probe` until it returns a value (not undefined); throws naming `what` (and the probe's last error, if it
 * threw: a state that does not exist yet often reads as a 404) after `timeoutMs`.
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 120_000,
  everyMs = 1000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    let v: T | undefined;
    try {
      v = await probe();
    } catch (e) {
      if (e instanceof DemoStopped) throw e;
      lastError = e;
    }
    if (v !== undefined) return v;
    if (Date.now() > deadline) {
      const why =
        lastError === undefined
          ? ''
          : ` (last error: ${lastError instanceof Error ? lastError.message : JSON.stringify(lastError)})`;
      throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}${why}`);
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
