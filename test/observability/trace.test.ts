/**
 * #18 "one trace per event", through the real local host: a signed MLflow webhook → Service Bus (emulator) → router
 * → modelPromotion → activities → the MLflow alias move. The app runs with `STAGECRAFT_TRACE_EXPORT=memory-file:<f>`
 * (finished spans as JSON lines); the test reads the file and checks that every span of the promotion shares the
 * webhook's trace id and that they form one parent chain: webhook request → Service Bus publish → router function →
 * activity → MLflow HTTP call. Requires a build (`npm run build`).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postMlflowDelivery, signedVersionCreated } from '../fakes';
import { finished, startEnv, startHost, stopEnv, until, type Env } from '../promotion/harness';
import type { HostProcess } from '../helpers/host';
import { instanceIdFor } from '../../shared/router/instance-id';
import { PROMOTION_ACTIVITIES as A } from '../../shared/promotion/names';
import type { SpanLine } from '../../shared/telemetry/file-exporter';
import type { Measurement } from '../../shared/telemetry/metrics';

const SECRET = 'trace-test-mlflow-webhook-secret';
const SPAN_KIND = { INTERNAL: 0, SERVER: 1, CLIENT: 2, PRODUCER: 3, CONSUMER: 4 };

function policy(hook: string) {
  return {
    version: 1,
    channels: { hook: { type: 'webhook', url: hook } },
    defaults: { notify: ['hook'], approval: { required: false, approvers: { users: ['alice@contoso.com'] } } },
    models: {
      churn: { validations: { quality: { type: 'metric-threshold', thresholds: [{ metric: 'accuracy', min: 0.9 }] } } },
    },
  };
}

let env: Env;
let host: HostProcess;
let spansFile: string;

beforeAll(async () => {
  env = await startEnv((hook) => policy(hook));
  spansFile = join(env.dir, 'spans.jsonl');
  env.hostEnv['MLFLOW_WEBHOOK_SECRETS'] = SECRET;
  env.hostEnv['STAGECRAFT_TRACE_EXPORT'] = `memory-file:${spansFile}`;
  host = await startHost(env);
}, 120_000);

afterAll(async () => {
  await host?.stop();
  await stopEnv(env);
});

function lines(): Array<SpanLine | Measurement> {
  if (!existsSync(spansFile)) return [];
  return readFileSync(spansFile, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as SpanLine | Measurement);
}

function spans(): SpanLine[] {
  return lines().filter((l): l is SpanLine => l.kind === 'span');
}

async function deliver(name: string, version: string, runId: string): Promise<Response> {
  return postMlflowDelivery(host.baseUrl, signedVersionCreated(SECRET, { name, version, runId }));
}

describe('one trace per event', () => {
  it('webhook → Service Bus → router → orchestration activities → MLflow alias move share one trace id and one parent chain', async () => {
    const run = env.mlflow.seedRun({ metrics: { accuracy: 0.95 } });
    env.mlflow.seedVersion('churn', { version: '1', runId: run.run_id, userId: 'dave@contoso.com' });

    const res = await deliver('churn', '1', run.run_id);
    expect(res.status).toBe(202);
    const id = instanceIdFor('promotion', 'churn', '1');
    const done = await finished(host, id);
    expect(done.runtimeStatus, JSON.stringify(done.output)).toBe('Completed');
    expect(done.output?.['outcome']).toBe('promoted');

    // The alias-move span ends before the activity that made it; the record activity is the last one to end.
    const all = await until(
      'the record activity span',
      async () => {
        await Promise.resolve();
        const s = spans();
        return s.some((x) => x.name === `activity ${A.writeRecord}`) ? s : undefined;
      },
      30_000,
      () => host.logs(),
    );

    const webhook = all.find((s) => s.name === 'POST /api/webhooks/mlflow');
    expect(webhook, all.map((s) => s.name).join(', ')).toBeDefined();
    expect(webhook?.spanKind).toBe(SPAN_KIND.SERVER);
    expect(webhook?.attributes['http.response.status_code']).toBe(202);
    const traceId = webhook?.traceId;
    const inTrace = all.filter((s) => s.traceId === traceId);
    const byId = new Map(inTrace.map((s) => [s.spanId, s]));
    const parentOf = (s: SpanLine) => (s.parentSpanId ? byId.get(s.parentSpanId) : undefined);

    const publish = inTrace.find((s) => s.spanKind === SPAN_KIND.PRODUCER && s.name.endsWith(' publish'));
    expect(publish, 'Service Bus publish span in the webhook trace').toBeDefined();
    expect(parentOf(publish as SpanLine)).toBe(webhook);

    const router = inTrace.find((s) => s.name === 'route-promotion process');
    expect(router, 'router span in the webhook trace').toBeDefined();
    expect(router?.spanKind).toBe(SPAN_KIND.CONSUMER);
    expect(parentOf(router as SpanLine)).toBe(publish);

    for (const activity of [A.loadContext, A.promote, A.writeRecord]) {
      const span = inTrace.find((s) => s.name === `activity ${activity}`);
      expect(span, `activity ${activity} in the webhook trace`).toBeDefined();
      expect(span?.attributes['durable.instance_id']).toBe(id);
      expect(parentOf(span as SpanLine)).toBe(router);
    }

    // Alias calls: the challenger alias (setChallenger) and the champion move (promote), each under its activity.
    const aliasCalls = inTrace.filter(
      (s) => s.spanKind === SPAN_KIND.CLIENT && s.attributes['url.path'] === '/api/2.0/mlflow/registered-models/alias',
    );
    expect(aliasCalls.map((s) => parentOf(s)?.name)).toContain(`activity ${A.promote}`);
    expect(env.mlflow.state.models.get('churn')!.aliases.get('champion')).toBe('1');

    // Metrics from the same run, emitted where the facts are final (intake receipt, promotion record write).
    const measurements = lines().filter((l): l is Measurement => l.kind === 'metric');
    expect(measurements).toContainEqual({
      kind: 'metric',
      metric: 'stagecraft.webhooks',
      type: 'counter',
      value: 1,
      attributes: { source: 'mlflow', outcome: 'accepted' },
    });
    expect(measurements).toContainEqual({
      kind: 'metric',
      metric: 'stagecraft.promotions',
      type: 'counter',
      value: 1,
      attributes: { outcome: 'promoted' },
    });
    expect(
      measurements.some(
        (m) => m.metric === 'stagecraft.promotion.duration' && m.value > 0 && m.attributes['outcome'] === 'promoted',
      ),
    ).toBe(true);

    // Every span this promotion produced is in that one trace (no activity started a trace of its own).
    const strays = all.filter((s) => s.attributes['durable.instance_id'] === id && s.traceId !== traceId);
    expect(strays.map((s) => s.name)).toEqual([]);
  }, 150_000);
});
