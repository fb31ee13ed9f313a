/**
 * Start-up check: every setting and the policy file are validated once when the app starts (shared/config
 * startup-check.ts). A half-configured app never runs:
 * - under the local host the start fails (the host exits non-zero, naming each setting);
 * - in Azure a failing start would only make the platform restart the worker in a loop with nothing visible, so
 *   the app starts, every trigger except /api/health is refused (HTTP: 503 naming the problems; Service Bus and
 *   timers: the invocation fails and is retried later), and /api/health reports the problems.
 * Warnings (settings Flex Consumption rejects or ignores) are logged, never fatal.
 */
import { app, type HttpResponseInit, type PreInvocationContext } from '@azure/functions';
import { startupCheck, runStartupCheck } from '../shared/config/startup-check';
import { appendAudit } from '../shared/audit';
import { ConfigError } from '../shared/errors';
import { onPolicyLoad } from '../shared/policy/load';

const HEALTH_FUNCTION = 'health';

// Every policy version a worker loads is in the audit log once (content hash), valid or refused.
onPolicyLoad((e) => {
  appendAudit({
    action: 'policy.load',
    actor: 'stagecraft',
    target: e.path,
    outcome: e.outcome,
    ...(e.reason ? { reason: e.reason } : {}),
    details: { sha256: e.sha256 },
  }).catch((err: unknown) => {
    console.error(`audit log write failed for policy.load: ${(err as Error).message}`);
  });
});

// Request bodies stream to the handlers (Azure and the local host alike), so the intake's size cap stops reading at
// INTAKE_MAX_BODY_BYTES instead of after the host buffered a whole oversized body in memory.
app.setup({ enableHttpStream: true });

app.hook.appStart(async () => {
  const check = await runStartupCheck();
  for (const w of check.warnings) console.warn(`Stagecraft settings warning: ${w}`);
  for (const p of check.problems) console.error(`Stagecraft settings problem: ${p}`);
  if (check.problems.length === 0) {
    console.log('Stagecraft settings and policy validated');
    return;
  }
  if (!check.azure) {
    throw new ConfigError(
      `Stagecraft settings are missing or invalid (fix them in local.settings.json or the environment):\n- ${check.problems.join('\n- ')}`,
      { problems: check.problems },
    );
  }
  console.error(
    'Stagecraft is not configured: every function answers 503 until the settings are fixed (see GET /api/health)',
  );
});

app.hook.preInvocation((context: PreInvocationContext) => {
  const problems = startupCheck()?.problems ?? [];
  if (problems.length === 0) return;
  const inv = context.invocationContext;
  if (inv.functionName === HEALTH_FUNCTION) return;
  const trigger = inv.options.trigger.type;
  if (trigger === 'httpTrigger') {
    context.functionHandler = (): HttpResponseInit => ({
      status: 503,
      headers: { 'retry-after': '60', 'cache-control': 'no-store' },
      jsonBody: {
        code: 'CONFIG_INVALID',
        message: 'Stagecraft is not configured; fix these settings and restart the app',
        problems,
      },
    });
  } else if (trigger !== 'orchestrationTrigger' && trigger !== 'activityTrigger' && trigger !== 'entityTrigger') {
    // Service Bus and timer triggers: fail the invocation (the message is redelivered later, the timer ticks again).
    // Running orchestrations continue; an activity needing a broken setting fails with its own message.
    context.functionHandler = () => {
      throw new ConfigError(`Stagecraft is not configured: ${problems.join('; ')}`, { problems });
    };
  }
});
