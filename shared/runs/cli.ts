/**
 * `stagecraft runs [--workflow W] [--model M] [--repo R] [--status S] [--limit N] [--from T] [--to T] [--continuation TOKEN] [--json]`
 * lists runs (one bounded answer; `--continuation` takes the token it prints for more);
 * `stagecraft runs ID [--json]` prints one run's timeline. Exit codes: 0 ok, 1 error, 2 bad usage.
 */
import { parseArgs } from 'node:util';
import { type CliOptions, callApi, errorLine } from './client';
import type { RunDetail, RunSummary } from './query';

export const RUNS_USAGE =
  'usage: stagecraft runs [ID] [--workflow ci|release|retraining|retrain|promotion|job|NAME] [--model M] [--repo R] [--status Running,Failed,...] [--limit N] [--from ISO] [--to ISO] [--continuation TOKEN] [--json]';

function pad(s: string, n: number): string {
  return s.length >= n ? s.slice(0, n) : s + ' '.repeat(n - s.length);
}

export async function runsCommand(argv: string[], o: CliOptions): Promise<number> {
  const out = o.out ?? ((l: string) => process.stdout.write(`${l}\n`));
  const err = o.err ?? ((l: string) => process.stderr.write(`${l}\n`));
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        workflow: { type: 'string' },
        model: { type: 'string' },
        repo: { type: 'string' },
        status: { type: 'string' },
        limit: { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
        continuation: { type: 'string' },
        json: { type: 'boolean' },
      },
    });
  } catch (e) {
    err(`${e instanceof Error ? e.message : String(e)}\n${RUNS_USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (positionals.length > 1) {
    err(RUNS_USAGE);
    return 2;
  }
  try {
    if (positionals[0]) {
      const r = await callApi(o, 'GET', `/api/runs/${encodeURIComponent(positionals[0])}`);
      if (r.status !== 200) {
        err(errorLine(r.json, r.status));
        return 1;
      }
      const d = r.json as RunDetail;
      if (values.json) {
        out(JSON.stringify(d, null, 2));
        return 0;
      }
      out(
        `${d.run.id}  ${d.run.workflow}  ${d.run.status}${d.run.model ? `  model=${d.run.model}` : ''}${d.run.repo ? `  repo=${d.run.repo}` : ''}`,
      );
      out(`created ${d.run.createdTime}  updated ${d.run.lastUpdatedTime}`);
      for (const t of d.timeline)
        out(`  ${t.at}  ${pad(t.source === 'record' ? `[${t.status ?? ''}]` : '', 14)} ${t.title}`);
      for (const l of d.links) out(`  link ${l.rel}: ${l.id}`);
      return 0;
    }
    const q = new URLSearchParams();
    for (const k of ['workflow', 'model', 'repo', 'status', 'limit', 'from', 'to'] as const)
      if (values[k] !== undefined) q.set(k, values[k]);
    if (values.continuation !== undefined) q.set('continuationToken', values.continuation);
    const r = await callApi(o, 'GET', `/api/runs${q.size ? `?${q.toString()}` : ''}`);
    if (r.status !== 200) {
      err(errorLine(r.json, r.status));
      return 1;
    }
    const body = r.json as { runs: RunSummary[]; continuationToken?: string; window?: { from: string; to: string } };
    if (values.json) {
      out(JSON.stringify(body, null, 2));
      return 0;
    }
    out(`${pad('CREATED', 20)}  ${pad('WORKFLOW', 22)}  ${pad('STATUS', 10)}  ${pad('SUBJECT', 30)}  ID`);
    for (const run of body.runs) {
      const subject = run.model ?? (run.repo ? `${run.repo}@${(run.commit ?? '').slice(0, 8)}` : '');
      out(
        `${pad(run.createdTime, 20)}  ${pad(run.workflow, 22)}  ${pad(run.status, 10)}  ${pad(subject, 30)}  ${run.id}`,
      );
    }
    out(
      `${body.runs.length} run(s)${body.window ? ` created ${body.window.from} .. ${body.window.to}` : ''}${body.continuationToken ? `; more: --continuation ${body.continuationToken}` : ''}`,
    );
    return 0;
  } catch (e) {
    err(`cannot reach ${o.url}: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
}
