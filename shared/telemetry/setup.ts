/**
 * Which telemetry SDK runs, decided once per process from three settings:
 * - `APPLICATIONINSIGHTS_CONNECTION_STRING`: Azure Monitor (`@azure/monitor-opentelemetry`: traces, metrics, and its
 *   HTTP instrumentation); with `OTEL_EXPORTER_OTLP_ENDPOINT` too, spans also go to that OTLP endpoint.
 * - `OTEL_EXPORTER_OTLP_ENDPOINT` alone: spans to that OTLP/HTTP endpoint (the exporter reads the standard
 *   `OTEL_EXPORTER_OTLP_*` variables itself). Metrics need `@opentelemetry/sdk-metrics` (not installed): none here.
 * - `STAGECRAFT_TRACE_EXPORT=memory-file:<path>`: spans and metric measurements as JSON lines to <path> (tests).
 * - none: nothing is started; the OpenTelemetry API stays a no-op (no SDK, no hooks wrapping handlers).
 */
import { metrics } from '@opentelemetry/api';
import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { runningInAzure } from '../config/azure';
import type { Env } from '../config/env';
import { appendJsonLine, JsonLinesSpanExporter } from './file-exporter';
import { recordingMeterProvider } from './metrics';
import { setTracingEnabled } from './trace';

export type TelemetryMode = 'azure-monitor' | 'otlp' | 'memory-file' | 'off';

export interface TelemetrySettings {
  mode: TelemetryMode;
  otlp: boolean;
  filePath?: string;
}

const MEMORY_FILE = 'memory-file:';

/** Reads the three settings (throws naming the setting when STAGECRAFT_TRACE_EXPORT is malformed or used in Azure). */
export function telemetrySettings(env: Env = process.env): TelemetrySettings {
  const ai = env['APPLICATIONINSIGHTS_CONNECTION_STRING']?.trim();
  const otlp = !!env['OTEL_EXPORTER_OTLP_ENDPOINT']?.trim() || !!env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT']?.trim();
  const file = env['STAGECRAFT_TRACE_EXPORT']?.trim();
  if (file) {
    if (!file.startsWith(MEMORY_FILE) || file.length === MEMORY_FILE.length) {
      throw new Error(
        'STAGECRAFT_TRACE_EXPORT: must be memory-file:<path> (finished spans as JSON lines, for local tests)',
      );
    }
    // The local host (also in --azure-parity, which sets WEBSITE_*) marks itself with its state dir.
    if (runningInAzure(env) && !env['STAGECRAFT_HOST_STATE_DIR'])
      throw new Error(
        'STAGECRAFT_TRACE_EXPORT: local tests only; use APPLICATIONINSIGHTS_CONNECTION_STRING or OTEL_EXPORTER_OTLP_ENDPOINT in Azure',
      );
    return { mode: 'memory-file', otlp: false, filePath: file.slice(MEMORY_FILE.length) };
  }
  if (ai) return { mode: 'azure-monitor', otlp };
  if (otlp) return { mode: 'otlp', otlp: true };
  return { mode: 'off', otlp: false };
}

let started: { mode: TelemetryMode; shutdown: () => Promise<void> } | undefined;

// SDK modules are imported only when a mode needs them: with telemetry off none is loaded.
async function otlpProcessor(): Promise<SpanProcessor> {
  const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
  const { BatchSpanProcessor } = await import('@opentelemetry/sdk-trace-base');
  return new BatchSpanProcessor(new OTLPTraceExporter());
}

/** Starts the SDK the settings ask for (once per process); returns the mode. */
export async function startTelemetry(env: NodeJS.ProcessEnv = process.env): Promise<TelemetryMode> {
  if (started) return started.mode;
  let s: TelemetrySettings;
  try {
    s = telemetrySettings(env);
  } catch (e) {
    // The start-up check reports the setting (functions/startup.ts); telemetry stays off meanwhile.
    console.error(`Stagecraft telemetry not started: ${(e as Error).message}`);
    started = { mode: 'off', shutdown: () => Promise.resolve() };
    return 'off';
  }
  if (s.mode === 'off') {
    started = { mode: 'off', shutdown: () => Promise.resolve() };
    return 'off';
  }
  if (s.mode === 'azure-monitor') {
    const { useAzureMonitor, shutdownAzureMonitor } = await import('@azure/monitor-opentelemetry');
    useAzureMonitor({
      azureMonitorExporterOptions: { connectionString: env['APPLICATIONINSIGHTS_CONNECTION_STRING']?.trim() ?? '' },
      ...(s.otlp ? { spanProcessors: [await otlpProcessor()] } : {}),
    });
    started = { mode: s.mode, shutdown: () => shutdownAzureMonitor() };
  } else {
    const { SimpleSpanProcessor } = await import('@opentelemetry/sdk-trace-base');
    const { NodeTracerProvider } = await import('@opentelemetry/sdk-trace-node');
    const processors: SpanProcessor[] = [];
    if (s.mode === 'memory-file' && s.filePath) {
      const path = s.filePath;
      processors.push(new SimpleSpanProcessor(new JsonLinesSpanExporter(path)));
      metrics.setGlobalMeterProvider(recordingMeterProvider((m) => appendJsonLine(path, m)));
    } else {
      processors.push(await otlpProcessor());
    }
    const provider = new NodeTracerProvider({ spanProcessors: processors });
    provider.register();
    started = { mode: s.mode, shutdown: () => provider.shutdown() };
  }
  setTracingEnabled(true);
  return s.mode;
}

/** Flushes and stops the SDK (app terminate). */
export async function stopTelemetry(): Promise<void> {
  const s = started;
  if (!s) return;
  await s.shutdown();
}
