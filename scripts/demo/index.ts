/**
 * `npm run demo [-- --auto-approve] [--keep]` — the whole model lifecycle against a real MLflow server and the local
 * Stagecraft host: train v1 → validations → challenger → approval → champion → batch scoring → simulated drift →
 * retraining → v2 → comparison with v1 → approval → champion moves → rollback to v1 → what was recorded.
 *
 * The demo only does what a user or a data pipeline would do (train.py once, detect_drift.py, approve, roll back);
 * everything else is Stagecraft reacting to MLflow's signed webhooks and the drift event. It waits only on state it
 * can observe: MLflow aliases and versions, Stagecraft's HTTP API and its records in Azurite.
 *
 * Without --auto-approve it stops at each approval and waits for a person (it prints a one-click link and the CLI
 * command). Every process it starts (MLflow, the host with its Azurite, the jobs the host runs) is in a tracked
 * process group and is stopped on exit, on error and on Ctrl-C (scripts/mlflow/processes.ts); --keep leaves them
 * running after the summary until Ctrl-C.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { instanceIdFor } from '../../shared/router/instance-id';
import type { PromotionRecord } from '../../shared/promotion/types';
import {
  DEFAULT_VENV_DIR,
  EXAMPLE_DIR,
  EXAMPLE_REQUIREMENTS,
  REPO_ROOT,
  ensureVenv,
  fernetKeyFrom,
  freePort,
  lastJsonLine,
  registerWebhook,
  registry,
  runPython,
  startMlflowServer,
  type MlflowServer,
} from '../mlflow';
import { decisionLinks, StagecraftApi, type Approval } from './api';
import { startDemoHost, stopLocalJobs, type DemoHost } from './host';
import { DemoStopped, note, stepStart, stepTimings, table, waitFor } from './progress';
import { loadText, samplePayload, servingEnv, servingPolicy, startLoad } from './serving';

const MODEL = 'breast-cancer-classifier';
const APPROVER = 'ml-lead@example.com';
const MINUTE = 60_000;

const short = (s: string, n: number) => (s.length <= n ? s : `${s.slice(0, n - 1)}…`);
const hhmmss = (iso: string | undefined) => (iso ? iso.slice(11, 19) : '');

/** `<container>/<model>/<version>/<promotion id>/`: the folder of a promotion's report blobs (the id is escaped there). */
function reportDir(p: PromotionRecord): string {
  const [container] = blobPath(p.report?.html).split('/');
  return p.report ? `${container ?? ''}/${p.model}/${p.version}/<promotion id>/` : '(no report)';
}

/** `http://127.0.0.1:<port>/devstoreaccount1/<container>/<path>` → `<container>/<path>` (the URL dies with Azurite). */
function blobPath(url: string | undefined): string {
  if (!url) return '(none)';
  try {
    return decodeURIComponent(new URL(url).pathname.replace(/^\/devstoreaccount1\//, ''));
  } catch {
    return url;
  }
}

function deployText(d: PromotionRecord['deploy']): string {
  if (!d) return 'no deployment';
  const result = d.outputTail ? lastJsonLine(d.outputTail) : undefined;
  const out = typeof result?.['output'] === 'string' ? relative(REPO_ROOT, result['output']) : undefined;
  return `${d.state}${typeof result?.['rows'] === 'number' ? `: ${result['rows']} rows` : ''}${out ? ` → ${out}` : ''}`;
}

const ENDPOINT = 'breast-cancer-local';

async function main(): Promise<void> {
  const autoApprove = process.argv.includes('--auto-approve');
  const keep = process.argv.includes('--keep');
  // Online serving (local serving runner) unless --batch-scoring keeps the example policy's scoring job.
  const serving = !process.argv.includes('--batch-scoring');
  const workDir = mkdtempSync(join(tmpdir(), 'stagecraft-demo-'));
  const secrets = {
    webhook: randomBytes(20).toString('hex'),
    drift: randomBytes(20).toString('hex'),
    functionKey: randomBytes(20).toString('hex'),
    approverKey: randomBytes(20).toString('hex'),
    link: randomBytes(20).toString('hex'),
  };
  let mlflow: MlflowServer | undefined;
  let host: DemoHost | undefined;
  // Ctrl-C ends the process from processes.ts's signal handler (after stopping every group), skipping `finally`.
  // Jobs the host started run under detached supervisors: they are stopped here too.
  process.on('exit', () => {
    stopLocalJobs(join(workDir, 'stagecraft'));
    if (!keep) rmSync(workDir, { recursive: true, force: true, maxRetries: 2 });
  });
  try {
    stepStart('Python environment for the example project');
    const venv = await ensureVenv(DEFAULT_VENV_DIR, EXAMPLE_REQUIREMENTS, { onProgress: note });
    note(
      venv.installed
        ? `installed in ${(venv.installMs / 1000).toFixed(0)}s: ${relative(REPO_ROOT, venv.dir)}`
        : `up to date: ${relative(REPO_ROOT, venv.dir)}`,
    );

    stepStart('MLflow server (SQLite, local artifacts, webhooks to http://127.0.0.1 allowed)');
    mlflow = await startMlflowServer({
      dataDir: join(workDir, 'mlflow'),
      webhookSecretKey: fernetKeyFrom('stagecraft-demo'),
      python: venv.python,
    });
    const mlflowUrl = mlflow.url;
    note(`${mlflowUrl}  (UI and REST API)`);

    const servingPort = await freePort();
    const servingUrl = `http://127.0.0.1:${servingPort}/invocations`;
    stepStart('Stagecraft local host (Azurite, Service Bus emulator, durable engine)');
    host = await startDemoHost({
      port: await freePort(),
      stateDir: join(workDir, 'stagecraft'),
      mlflowUrl,
      webhookSecret: secrets.webhook,
      driftKey: secrets.drift,
      functionKey: secrets.functionKey,
      approver: { user: APPROVER, key: secrets.approverKey },
      linkSecret: secrets.link,
      policyPath: serving
        ? servingPolicy(join(EXAMPLE_DIR, 'stagecraft.policy.yaml'), MODEL, ENDPOINT, join(workDir, 'policy.json'))
        : join(EXAMPLE_DIR, 'stagecraft.policy.yaml'),
      ...(serving ? { extraEnv: servingEnv(venv.python, ENDPOINT, servingPort, EXAMPLE_DIR) } : {}),
    });
    const h = host;
    const api = new StagecraftApi(h.url, { function: secrets.functionKey, approver: secrets.approverKey }, () =>
      h.storageEnv(),
    );
    note(`${h.url}  policy: ${relative(REPO_ROOT, join(EXAMPLE_DIR, 'stagecraft.policy.yaml'))}`);

    stepStart('Register the MLflow webhook (signed) pointing at Stagecraft');
    const hook = await registerWebhook(mlflowUrl, {
      name: 'stagecraft',
      targetUrl: `${h.url}/api/webhooks/mlflow`,
      secret: secrets.webhook,
      description: 'Stagecraft demo',
    });
    note(`webhook ${hook.webhook_id}: ${hook.events.length} registry events → ${hook.url}`);

    const aliasIs = (alias: string, version: string) => async () =>
      (await registry.getByAlias(mlflowUrl, MODEL, alias)).version === version ? true : undefined;
    const approvals: Approval[] = [];
    const promotions: PromotionRecord[] = [];

    /** Waits for the promotion of `version` to pass validations and set the challenger; prints the verdict. */
    const validated = async (version: string) => {
      const id = instanceIdFor('promotion', MODEL, version);
      await waitFor(
        `${MODEL}@challenger = v${version}`,
        async () => {
          if (await aliasIs('challenger', version)()) return true;
          const rec = await api.promotionRecord(MODEL, id).catch(() => undefined);
          if (rec) throw new DemoStopped(`the promotion of v${version} ended ${rec.outcome}: ${rec.reason}`);
          return undefined;
        },
        5 * MINUTE,
        500,
      );
      const status = (await api.run(id)).customStatus as { verdict?: string } | null;
      note(`promotion ${id}: ${status?.verdict ?? 'validations passed'}`);
      return id;
    };

    /** The approval of `version`: print how to decide, decide with --auto-approve, wait for the decision. */
    const approval = async (version: string) => {
      stepStart(`Approval requested for v${version}`);
      const a = await waitFor(
        `a pending approval for v${version}`,
        async () => (await api.approvals(MODEL, 'pending')).find((x) => x.version === version),
        2 * MINUTE,
        500,
      );
      const links = decisionLinks(a, APPROVER, h.url, secrets.link);
      note(`approval ${a.id}: ${APPROVER} must approve (deadline ${a.deadlineAt ?? 'none'})`);
      note(
        `approve with the one-click link for ${APPROVER} (the link alone is no credential; send ${APPROVER}'s key):\n  curl -X POST -H "x-stagecraft-key: ${secrets.approverKey}" "${links.approve}"`,
      );
      note(
        `or with the CLI:\n  node bin/stagecraft.js approvals approve ${a.id} --url ${h.url} --identity-key ${secrets.approverKey}`,
      );
      if (autoApprove) {
        await api.decide(a.id, 'approve', 'demo --auto-approve');
        note(`--auto-approve: approved as ${APPROVER} (POST /api/approvals/${a.id}/decision)`);
      } else {
        note('waiting for your decision (Ctrl-C stops the demo and everything it started)');
      }
      const decided = await waitFor(
        `the decision on ${a.id}`,
        async () => {
          const cur = await api.approval(a.id);
          return cur.status === 'pending' ? undefined : cur;
        },
        autoApprove ? 2 * MINUTE : 24 * 60 * MINUTE,
        1000,
      );
      if (decided.status !== 'approved')
        throw new DemoStopped(
          `v${version} was not approved (${decided.status}${decided.reason ? `: ${decided.reason}` : ''}); the demo stops here`,
        );
      note(
        `approved by ${decided.votes
          .filter((v) => v.verdict === 'approve')
          .map((v) => v.approver)
          .join(', ')}`,
      );
      approvals.push(decided);
    };

    /** Champion moves to `version`; the promotion runs the batch-scoring job and writes its record. */
    const championAndScoring = async (version: string, promotionId: string) => {
      stepStart(`v${version} becomes champion`);
      await waitFor(`${MODEL}@champion = v${version}`, aliasIs('champion', version), 2 * MINUTE, 500);
      const mv = await registry.getVersion(mlflowUrl, MODEL, version);
      note(`MLflow aliases of v${version}: ${mv.aliases.join(', ')}`);
      stepStart(
        serving
          ? `Serving rollout of v${version} (local serving runner): 10 % beside the serving version for 10 s when there is one, then 100 %`
          : `Batch scoring job with the new champion (policy deploy: score.py through the local job runner)`,
      );
      const rec = await waitFor(
        `the promotion record of v${version}`,
        () => api.promotionRecord(MODEL, promotionId),
        12 * MINUTE,
        1000,
      );
      if (rec.outcome !== 'promoted')
        throw new DemoStopped(`the promotion of v${version} ended ${rec.outcome}: ${rec.reason}`);
      note(
        serving
          ? `${rec.deploy?.state ?? 'not run'}: ${rec.deploy?.serving?.phases.map((p) => `${p.phase} ${p.outcome}${p.detail ? ` (${p.detail})` : ''}`).join(' → ') ?? ''}`
          : deployText(rec.deploy),
      );
      if (rec.deploy?.state !== 'SUCCEEDED')
        throw new DemoStopped(
          `the ${serving ? 'serving rollout' : 'batch scoring job'} of v${version} ended ${rec.deploy?.state ?? 'not run'}: ${rec.deploy?.resultSummary ?? ''}`,
        );
      promotions.push(rec);
    };

    stepStart('Train v1 (train.py logs to MLflow and registers a version tagged with the git commit)');
    const v1 = await runPython(
      'train.py',
      ['--reason', 'demo'],
      { MLFLOW_TRACKING_URI: mlflowUrl },
      { python: venv.python },
    );
    if (v1.code !== 0) throw new Error(`train.py failed:\n${v1.stderr.slice(-2000)}`);
    const m = v1.result?.['metrics'] as Record<string, number> | undefined;
    note(
      `registered v${String(v1.result?.['version'])}: validation accuracy ${m?.['accuracy']?.toFixed(3)}, roc_auc ${m?.['roc_auc']?.toFixed(4)}, log_loss ${m?.['log_loss']?.toFixed(4)}`,
    );
    note('MLflow sends model_version.created (signed) → Stagecraft starts the promotion');

    stepStart('Validations of v1 (policy: tags, signature, metric thresholds, holdout job) → challenger');
    const p1 = await validated('1');
    await approval('1');
    await championAndScoring('1', p1);
    const payload = serving ? await samplePayload(venv.python) : '';
    if (serving) {
      const r = await fetch(servingUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: payload,
      });
      note(
        `online: POST ${servingUrl} → HTTP ${r.status} from v${r.headers.get('x-served-version') ?? '?'}: ${(await r.text()).slice(0, 120)}`,
      );
    }

    stepStart('Simulated drift: detect_drift.py --shift 0.5 (KS test per feature) posts a drift event');
    const drift = await runPython(
      'detect_drift.py',
      [
        '--shift',
        '0.5',
        '--stagecraft-url',
        h.url,
        '--stagecraft-key',
        secrets.drift,
        '--functions-key',
        secrets.functionKey,
      ],
      { MLFLOW_TRACKING_URI: mlflowUrl },
      { python: venv.python },
    );
    if (drift.code !== 0) throw new Error(`detect_drift.py failed (exit ${drift.code}):\n${drift.stderr.slice(-2000)}`);
    const drifted = Array.isArray(drift.result?.['drifted_features'])
      ? (drift.result['drifted_features'] as unknown[]).length
      : 0;
    note(
      `${drifted}/30 features drifted (share ${String(drift.result?.['share_of_drifted_features'])}); POST /api/events/drift → HTTP ${String(drift.result?.['stagecraft_status'])}`,
    );
    note(
      `report: ${typeof drift.result?.['report'] === 'string' ? relative(REPO_ROOT, drift.result['report']) : '(none)'}`,
    );

    stepStart('Retraining: the coordinator applies the drift rule and starts a run (train.py as a local job)');
    const retrain = await waitFor(
      'a retraining run',
      async () => (await api.runs({ workflow: 'retrain', model: MODEL }))[0],
      2 * MINUTE,
      500,
    );
    const coordinator = (await api.run(instanceIdFor('retraining', MODEL))).customStatus as {
      recent?: Array<{ kind?: string; action?: string; reason?: string; message?: string }>;
    } | null;
    const decision = coordinator?.recent?.find((d) => d.action === 'start');
    note(
      `coordinator ${instanceIdFor('retraining', MODEL)}: ${decision ? `${decision.kind ?? ''} trigger → ${decision.action ?? ''} (${decision.reason ?? ''}: ${decision.message ?? ''})` : 'started a run'}`,
    );
    note(`run ${retrain.id}`);
    const finished = await waitFor(
      `retraining run ${retrain.id} to finish`,
      async () => {
        const d = await api.run(retrain.id);
        return ['Completed', 'Failed', 'Terminated'].includes(d.run.status) ? d : undefined;
      },
      16 * MINUTE,
      1000,
    );
    const runOut = finished.output as { outcome?: string; summary?: string } | null;
    if (runOut?.outcome !== 'SUCCEEDED')
      throw new DemoStopped(
        `retraining run ${retrain.id} ended ${finished.run.status} ${runOut?.outcome ?? ''}: ${runOut?.summary ?? ''}`,
      );
    const v2 = await waitFor(
      'version 2 in MLflow',
      () => registry.getVersion(mlflowUrl, MODEL, '2').catch(() => undefined),
      2 * MINUTE,
      500,
    );
    note(
      `training job ${runOut.outcome}; registered v2 tagged stagecraft.retraining_run_id=${v2.tags.find((t) => t.key === 'stagecraft.retraining_run_id')?.value ?? '(missing)'}`,
    );

    stepStart('Validations of v2, with the comparison against the champion v1 → challenger');
    const p2 = await validated('2');
    const vsChampion = await waitFor(
      'the vs-champion validation record of v2',
      async () => (await api.validations(p2)).find((r) => r.checkId === 'vs-champion'),
      MINUTE,
      500,
    );
    const cmp = vsChampion.details['champion'] as
      { championVersion?: string; results?: Array<{ message?: string }> } | undefined;
    note(`vs-champion (champion v${cmp?.championVersion ?? '?'}): ${vsChampion.status}`);
    for (const r of cmp?.results ?? []) note(`  ${r.message ?? ''}`);
    const swapLoad = serving ? startLoad(servingUrl, payload) : undefined;
    await approval('2');
    await championAndScoring('2', p2);
    if (swapLoad) note(`online serving while v1 → v2: ${loadText(await swapLoad.stop())}`);

    stepStart('Rollback to v1 (POST /api/models/{name}/rollback as the approver)');
    const rollbackLoad = serving ? startLoad(servingUrl, payload) : undefined;
    const rb = await api.rollback(
      MODEL,
      '1',
      'demo: roll back to the previous champion',
      `demo-${Date.now().toString(36)}`,
    );
    note(`rollback ${rb.instanceId}`);
    await waitFor(`${MODEL}@champion = v1`, aliasIs('champion', '1'), 2 * MINUTE, 500);
    const rbRec = await waitFor(
      'the rollback record',
      () => api.rollbackRecord(MODEL, rb.instanceId),
      12 * MINUTE,
      1000,
    );
    if (rollbackLoad) note(`online serving while v2 → v1: ${loadText(await rollbackLoad.stop())}`);
    note(`${rbRec.outcome}: ${rbRec.reason}; redeploy ${rbRec.deploy?.state ?? 'none'}`);

    stepStart('Summary: what Stagecraft recorded and where to look');
    const history = await api.aliasHistory(MODEL);
    const validations = await Promise.all(promotions.map(async (p) => (await api.validations(p.instanceId)).length));
    const retrainDetail = await api.run(retrain.id);
    const rows: Array<{ record: string; where: string; what: string }> = [];
    promotions.forEach((p, i) => {
      const a = approvals[i];
      const checks = p.verdict
        ? `${p.verdict.passed.length}/${p.validations.length} checks passed`
        : `${p.validations.length} checks`;
      rows.push(
        {
          record: `promotion v${p.version}`,
          where: `table StagecraftPromotions / ${p.instanceId}`,
          what: `${p.outcome}; ${checks}; ${p.reason}`,
        },
        {
          record: `validations v${p.version}`,
          where: `table StagecraftValidations / ${p.instanceId}`,
          what: `${validations[i] ?? 0} rows, one per check`,
        },
        { record: `report v${p.version}`, where: `blob ${reportDir(p)}`, what: 'report.html, report.json, junit.xml' },
        ...(a
          ? [
              {
                record: `approval v${p.version}`,
                where: `GET /api/approvals/${a.id}`,
                what: `${a.status} by ${a.votes.map((v) => v.approver).join(', ')} at ${hhmmss(a.closedAt)}`,
              },
            ]
          : []),
        { record: `scoring v${p.version}`, where: 'promotion record .deploy', what: deployText(p.deploy) },
      );
      if (i === 0) {
        const out = retrainDetail.output as { outcome?: string } | null;
        rows.push({
          record: 'retraining run',
          where: `GET /api/runs/${retrain.id}`,
          what: `${retrainDetail.run.status}, drift trigger, job ${out?.outcome ?? '?'} → v2`,
        });
      }
    });
    rows.push(
      {
        record: 'rollback',
        where: `table StagecraftRollbacks / ${rbRec.instanceId}`,
        what: `${rbRec.outcome} v${rbRec.fromVersion ?? '?'} → v${rbRec.toVersion ?? '?'} by ${rbRec.requestedBy}, redeploy ${rbRec.deploy?.state ?? 'none'}`,
      },
      {
        record: 'alias history',
        where: `table StagecraftAliasHistory / ${MODEL}`,
        what: `${history.length} moves (below)`,
      },
    );
    process.stdout.write(
      "Records (Azure Tables and Blob Storage in the host's Azurite; partition key = model where not shown):\n",
    );
    process.stdout.write(table(rows.map((r) => ({ record: r.record, where: r.where, what: short(r.what, 72) }))));
    process.stdout.write('\nAlias history (every registry move Stagecraft made, oldest first):\n');
    process.stdout.write(
      table(
        history.map((r) => ({
          at: hhmmss(r.at),
          alias: r.alias,
          move: `${r.before ? `v${r.before}` : '-'} → ${r.after ? `v${r.after}` : '-'}`,
          by: r.actor,
          why: short(r.reason, 60),
        })),
      ),
    );
    const final = await Promise.all(['1', '2'].map((v) => registry.getVersion(mlflowUrl, MODEL, v)));
    process.stdout.write('\nMLflow now:\n');
    process.stdout.write(
      table(
        final.map((v) => ({
          version: v.version,
          aliases: v.aliases.join(', ') || '-',
          tags: v.tags
            .filter((t) => t.key.startsWith('stagecraft.') || t.key === 'git_commit')
            .map((t) => `${t.key}=${t.key === 'git_commit' ? t.value.slice(0, 12) : t.value}`)
            .join(' '),
        })),
      ),
    );
    note(`\nMLflow UI ${mlflowUrl}/#/models/${MODEL}   Stagecraft ${h.url}   state ${h.stateDir}`);
    note(`runs: node bin/stagecraft.js runs list --url ${h.url} --key ${secrets.functionKey}`);
    note(`console: ${h.url}/api/console/ (sign in as ${APPROVER} with the identity key ${secrets.approverKey})`);
    note(
      keep
        ? '(--keep: everything keeps running until Ctrl-C)'
        : '(these stop with the demo; run with --keep to look around afterwards)',
    );

    const t = stepTimings();
    process.stdout.write('\nTimings:\n');
    process.stdout.write(
      table(t.steps.map((s) => ({ step: String(s.n), seconds: s.seconds.toFixed(1), what: short(s.title, 70) }))),
    );
    note(`total ${t.totalSeconds.toFixed(0)} s`);

    if (keep) await new Promise<never>(() => undefined); // until Ctrl-C (processes.ts stops every group, then exits)
  } catch (e) {
    if (host && !(e instanceof DemoStopped))
      process.stderr.write(
        `\n--- last lines of the Stagecraft host log (all of it: ${host.logFile}) ---\n${host.logs().split('\n').slice(-40).join('\n')}\n`,
      );
    if (mlflow && !(e instanceof DemoStopped))
      process.stderr.write(
        `MLflow server log: ${join(mlflow.dataDir, 'mlflow-server.log')}${keep ? '' : ' (deleted on exit; use --keep)'}\n`,
      );
    if (keep) {
      process.stderr.write(
        `\n${e instanceof Error ? e.message : String(e)}\n--keep: ${workDir} kept, MLflow and the host keep running; Ctrl-C stops them\n`,
      );
      await new Promise<never>(() => undefined);
    }
    throw e;
  } finally {
    await host?.stop();
    stopLocalJobs(join(workDir, 'stagecraft'));
    await mlflow?.stop();
  }
}

main().catch((e: unknown) => {
  console.error(`\ndemo failed: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
});
