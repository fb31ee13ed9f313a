/**
 * Telemetry (shared/telemetry): starts the SDK the settings ask for before any trigger is delivered (appStart),
 * wraps every non-orchestrator invocation in a span (preInvocation), flushes on shutdown. With no exporter
 * configured nothing is started and the hook returns at once.
 */
import { app } from '@azure/functions';
import { tracePreInvocation } from '../shared/telemetry/hooks';
import { startTelemetry, stopTelemetry } from '../shared/telemetry/setup';

app.hook.appStart(async () => {
  await startTelemetry();
});

app.hook.preInvocation(tracePreInvocation);

app.hook.appTerminate(async () => {
  await stopTelemetry();
});
