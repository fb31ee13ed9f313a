/**
 * `STAGECRAFT_TRACE_EXPORT=memory-file:<path>`: finished spans (and metric measurements, see metrics.ts) are
 * appended to <path> as JSON lines, synchronously, so a test can read what the app (running inside the host's
 * process) traced. Local testing only: attributes are written as recorded (they never hold secrets: see hooks.ts).
 */
import { appendFileSync } from 'node:fs';
import type { ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';

export interface SpanLine {
  kind: 'span';
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  spanKind: number;
  attributes: Record<string, unknown>;
  status: { code: number; message?: string };
  startMs: number;
  endMs: number;
}

function ms(t: [number, number]): number {
  return t[0] * 1000 + t[1] / 1e6;
}

export class JsonLinesSpanExporter implements SpanExporter {
  constructor(private readonly path: string) {}

  export(spans: ReadableSpan[], done: (r: ExportResult) => void): void {
    try {
      const lines = spans.map((s) => {
        const ctx = s.spanContext();
        const line: SpanLine = {
          kind: 'span',
          traceId: ctx.traceId,
          spanId: ctx.spanId,
          ...(s.parentSpanContext ? { parentSpanId: s.parentSpanContext.spanId } : {}),
          name: s.name,
          spanKind: s.kind,
          attributes: { ...s.attributes },
          status: { code: s.status.code, ...(s.status.message ? { message: s.status.message } : {}) },
          startMs: ms(s.startTime),
          endMs: ms(s.endTime),
        };
        return JSON.stringify(line) + '\n';
      });
      appendFileSync(this.path, lines.join(''));
      done({ code: 0 });
    } catch (e) {
      done({ code: 1, error: e as Error });
    }
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
}

/** Appends one JSON line (metric measurements use it). */
export function appendJsonLine(path: string, value: unknown): void {
  appendFileSync(path, JSON.stringify(value) + '\n');
}
