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
import { z } from 'zod';
import type { Env } from '../config/env';
import { defineSection, loadSection } from '../config/section';
import { optionalText } from '../setting-values';
import { appendJsonLine, JsonLinesSpanExporter } from './file-exporter';
import { recordingMeterProvider } from './metrics';
import { setTracingEnabled } from './trace';

export type TelemetryMode = 'azure-monitor' | 'otlp' | 'memory-file' | 'off';

export interface TelemetrySettings {
  mode: TelemetryMode;
  otlp: boolean;
  filePath?: string;
  /** Azure Monitor's connection string (mode `azure-monitor`). */
  connectionString?: string;
}

const MEMORY_FILE = 'memory-file:';

/**
 * The `telemetry` section. STAGECRAFT_TRACE_EXPORT is refused in Azure (WEBSITE_INSTANCE_ID / WEBSITE_SKU) unless the
 * local host marks itself with its state dir (it does so also in --azure-parity, which sets WEBSITE_*).
 */
export const telemetrySection = defineSection(
  'telemetry',
  {
    APPLICATIONINSIGHTS_CONNECTION_STRING: optionalText,
    OTEL_EXPORTER_OTLP_ENDPOINT: optionalText,
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: optionalText,
    STAGECRAFT_TRACE_EXPORT: optionalText.pipe(
      z
        .string()
        .refine(
          (v) => v.startsWith(MEMORY_FILE) && v.length > MEMORY_FILE.length,
          'must be memory-file:<path> (finished spans as JSON lines, for local tests)',
        )
        .optional(),
    ),
    WEBSITE_INSTANCE_ID: optionalText,
    WEBSITE_SKU: optionalText,
    STAGECRAFT_HOST_STATE_DIR: optionalText,
  },
  (v): TelemetrySettings => {
    const otlp = v.OTEL_EXPORTER_OTLP_ENDPOINT !== undefined || v.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT !== undefined;
    const file = v.STAGECRAFT_TRACE_EXPORT;
    if (file !== undefined) return { mode: 'memory-file', otlp: false, filePath: file.slice(MEMORY_FILE.length) };
    const ai = v.APPLICATIONINSIGHTS_CONNECTION_STRING;
    if (ai !== undefined) return { mode: 'azure-monitor', otlp, connectionString: ai };
    if (otlp) return { mode: 'otlp', otlp: true };
    return { mode: 'off', otlp: false };
  },
  (v, report) => {
    const inAzure = v.WEBSITE_INSTANCE_ID !== undefined || v.WEBSITE_SKU !== undefined;
    if (v.STAGECRAFT_TRACE_EXPORT !== undefined && inAzure && v.STAGECRAFT_HOST_STATE_DIR === undefined)
      report(
        'STAGECRAFT_TRACE_EXPORT',
        'local tests only',
        'Use APPLICATIONINSIGHTS_CONNECTION_STRING or OTEL_EXPORTER_OTLP_ENDPOINT in Azure.',
      );
  },
);

/** Which SDK the settings ask for. @throws ConfigError naming STAGECRAFT_TRACE_EXPORT (malformed or used in Azure) */
export function telemetrySettings(env: Env = process.env): TelemetrySettings {
  return loadSection(telemetrySection, env);
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
      azureMonitorExporterOptions: { connectionString: s.connectionString ?? '' },
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
