/**
 * `stagecraft retrain MODEL [--reason TEXT] [--param k=v ...] [--force] [--request-id ID] [--json]`.
 * Exit codes: 0 started or accepted, 3 refused (a run in progress, a candidate awaiting approval), 1 error, 2 usage.
 */
import { parseArgs } from 'node:util';
import { type CliOptions, callApi, errorLine } from '../runs/client';

export const RETRAIN_USAGE =
  'usage: stagecraft retrain MODEL [--reason TEXT] [--param key=value ...] [--force] [--request-id ID] [--json]';

export async function retrainCommand(argv: string[], o: CliOptions): Promise<number> {
  const out = o.out ?? ((l: string) => process.stdout.write(`${l}\n`));
  const err = o.err ?? ((l: string) => process.stderr.write(`${l}\n`));
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        reason: { type: 'string' },
        param: { type: 'string', multiple: true },
        force: { type: 'boolean' },
        'request-id': { type: 'string' },
        json: { type: 'boolean' },
      },
    });
  } catch (e) {
    err(`${e instanceof Error ? e.message : String(e)}\n${RETRAIN_USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const model = positionals[0];
  if (!model || positionals.length > 1) {
    err(RETRAIN_USAGE);
    return 2;
  }
  const parameters: Record<string, string> = {};
  for (const p of values.param ?? []) {
    const i = p.indexOf('=');
    if (i <= 0) {
      err(`--param must be key=value, got '${p}'\n${RETRAIN_USAGE}`);
      return 2;
    }
    parameters[p.slice(0, i)] = p.slice(i + 1);
  }
  const body: Record<string, unknown> = { parameters };
  if (values.reason) body['reason'] = values.reason;
  if (values.force) body['force'] = true;
  if (values['request-id']) body['requestId'] = values['request-id'];
  try {
    const r = await callApi(o, 'POST', `/api/models/${encodeURIComponent(model)}/retrain`, body);
    if (values.json) out(JSON.stringify(r.json, null, 2));
    if (r.status === 202 || r.status === 200) {
      const b = r.json as { decision?: string; runId?: string; message?: string };
      if (!values.json)
        out(
          b.decision === 'started'
            ? `retraining of ${model} started: run ${b.runId ?? ''}\n  ${b.message ?? ''}`
            : `retraining of ${model} requested; ${b.message ?? 'decision pending'}`,
        );
      return 0;
    }
    if (!values.json) err(errorLine(r.json, r.status));
    return r.status === 409 ? 3 : 1;
  } catch (e) {
    err(`cannot reach ${o.url}: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
}
