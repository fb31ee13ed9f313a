/**
 * Poll schedule for a running job: exponential backoff from `initial` doubling up to `max`, never past the deadline.
 * Pure, so the orchestrator recomputes the same instants on replay.
 */
export interface PollPolicy {
  initialMs: number;
  maxMs: number;
}

export const DEFAULT_POLL: PollPolicy = { initialMs: 5_000, maxMs: 60_000 };

export function pollPolicy(initialSeconds?: number, maxSeconds?: number): PollPolicy {
  const initialMs = Math.max(250, Math.round((initialSeconds ?? DEFAULT_POLL.initialMs / 1000) * 1000));
  const maxMs = Math.max(initialMs, Math.round((maxSeconds ?? Math.max(DEFAULT_POLL.maxMs, initialMs) / 1000) * 1000));
  return { initialMs, maxMs };
}

/** Delay before poll number `n` (0-based). */
export function pollDelayMs(policy: PollPolicy, n: number): number {
  const d = policy.initialMs * 2 ** Math.min(n, 30);
  return Math.min(d, policy.maxMs);
}

/** When to poll next: now + delay, capped at the deadline. */
export function nextPollAt(policy: PollPolicy, n: number, nowMs: number, deadlineMs: number): number {
  return Math.min(nowMs + pollDelayMs(policy, n), deadlineMs);
}

/** Delay before retry attempt `attempt` (1-based) of a failed check: backoff doubling each retry. */
export function retryDelayMs(backoffMs: number, attempt: number): number {
  return backoffMs * 2 ** Math.max(0, attempt - 1);
}
