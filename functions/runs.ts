/**
 * `GET /api/runs?workflow=&model=&repo=&status=&limit=`: runs of every workflow, newest first.
 * `GET /api/runs/{id}`: one run with its timeline (durable history + run-step records). Function key (host-checked).
 */
import { getRun, listRuns, parseRunsQuery } from '../shared/runs/query';
import { runsSettings } from '../shared/runs/settings';
import { runStepStore } from '../shared/runs/store';
import { route } from './lib/route';

route('runsList', {
  methods: ['GET'],
  route: 'runs',
  auth: 'function-key',
  note: 'function key',
  durable: true,
  handler: async (ctx) => {
    const q = parseRunsQuery(ctx.query);
    return { status: 200, jsonBody: { ...(await listRuns(ctx.durable(), q)), query: q } };
  },
});

route('runsGet', {
  methods: ['GET'],
  route: 'runs/{id}',
  auth: 'function-key',
  note: 'function key (the statusUrl of promote and rollback answers)',
  durable: true,
  handler: async (ctx) => {
    const id = decodeURIComponent(ctx.request.params['id'] ?? '');
    return { status: 200, jsonBody: await getRun(ctx.durable(), runStepStore(runsSettings()), id) };
  },
});
