/**
 * The one duration format of Stagecraft policies: compact units in descending order, e.g. `90s`, `15m`,
 * `1h`, `1h30m`, `2d`, `1d12h`. Units: d (24h), h, m, s. No fractions, no ISO-8601 (`PT1H`), no spaces.
 * Chosen over ISO-8601 because policy files are edited by hand and `P1M` (month) vs `PT1M` (minute) is a trap.
 */
export const DURATION_PATTERN = /^(?=\d)(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;

const UNIT_MS = [86_400_000, 3_600_000, 60_000, 1_000] as const;

/** Milliseconds for a policy duration, or undefined when the text is not one (empty string included). */
export function tryParseDuration(text: string): number | undefined {
  if (text.length === 0) return undefined;
  const m = DURATION_PATTERN.exec(text);
  if (!m) return undefined;
  let total = 0;
  for (let i = 0; i < UNIT_MS.length; i++) {
    const part = m[i + 1];
    if (part !== undefined) total += Number(part) * UNIT_MS[i]!;
  }
  return total;
}

export function parseDuration(text: string): number {
  const ms = tryParseDuration(text);
  if (ms === undefined) throw new RangeError(`not a duration: '${text}' (use e.g. 30s, 15m, 1h, 1h30m, 2d)`);
  return ms;
}

/** Inverse of parseDuration for messages and records: 5_400_000 → '1h30m'; 0 → '0s'. Sub-second parts are dropped. */
export function formatDuration(ms: number): string {
  let rest = Math.max(0, Math.floor(ms / 1000));
  const parts: string[] = [];
  for (const [unit, size] of [
    ['d', 86_400],
    ['h', 3_600],
    ['m', 60],
    ['s', 1],
  ] as const) {
    const n = Math.floor(rest / size);
    if (n > 0) parts.push(`${n}${unit}`);
    rest -= n * size;
  }
  return parts.length ? parts.join('') : '0s';
}
