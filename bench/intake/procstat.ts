/**
 * CPU seconds of a process and all its descendants (from /proc), and of this process. The host runs Azurite as a
 * child process, so its tree is what serves a webhook. On a shared, loaded machine wall-clock rates move a lot;
 * requests per CPU-second are the load-independent view of the same run.
 */
import { readdirSync, readFileSync } from 'node:fs';

const TICKS = 100;

function ticksOf(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    // utime, stime, cutime, cstime (fields 14-17; index 11-14 after the comm field): reaped children count too.
    return Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
  } catch {
    return 0;
  }
}

function childrenOf(pid: number): number[] {
  try {
    const tids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
    return tids ? tids.split(/\s+/).map(Number) : [];
  } catch {
    return [];
  }
}

/** Descendant pids, breadth-first, bounded (a process tree here is a handful of processes). */
export function treeOf(pid: number): number[] {
  const out = [pid];
  for (let i = 0; i < out.length && out.length < 64; i++) out.push(...childrenOf(out[i]!));
  return out;
}

export interface CpuSnapshot {
  /** The process and its descendants. */
  tree: number;
  /** The process alone (for the host: everything but Azurite). */
  root: number;
  client: number;
}

export function cpuSnapshot(pid: number | undefined): CpuSnapshot {
  const u = process.cpuUsage();
  const client = (u.user + u.system) / 1e6;
  if (pid === undefined) return { tree: 0, root: 0, client };
  return { tree: treeOf(pid).reduce((s, p) => s + ticksOf(p), 0) / TICKS, root: ticksOf(pid) / TICKS, client };
}

/**
 * Pids of processes whose command line contains `text` (e.g. this run's unique state dir). startHostProcess does
 * not stop the child when readiness times out, so the bench finds and stops its own host this way.
 */
export function pidsWithArg(text: string): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(text)) out.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}
