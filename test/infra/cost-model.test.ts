/**
 * Issue #18: the cost model's arithmetic, checked by hand on round numbers, and its command line.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_ASSUMPTIONS,
  DEFAULT_PRICES,
  estimate,
  parseArgs,
  PRICES_AS_OF,
  type Assumptions,
  type PerEvent,
  type Prices,
} from '../../scripts/cost-model';
import { REPO_ROOT } from '../helpers/host';

const zeroEvent: PerEvent = {
  orchestratorExecutions: 0,
  activityExecutions: 0,
  triggerExecutions: 0,
  durationMs: 0,
  tableTransactions: 0,
  blobWrites: 0,
  blobReads: 0,
  serviceBusPublishes: 0,
  serviceBusDeliveries: 0,
  logBytes: 0,
};
const promotion: PerEvent = {
  ...zeroEvent,
  orchestratorExecutions: 10,
  activityExecutions: 20,
  triggerExecutions: 2,
  durationMs: 4000,
  tableTransactions: 20,
  blobWrites: 5,
  serviceBusPublishes: 2,
  serviceBusDeliveries: 1,
  logBytes: 1000,
};
const drift: PerEvent = {
  ...zeroEvent,
  orchestratorExecutions: 2,
  activityExecutions: 1,
  triggerExecutions: 2,
  durationMs: 100_000,
  tableTransactions: 3,
  serviceBusPublishes: 1,
  serviceBusDeliveries: 1,
};
const prices: Prices = {
  ...DEFAULT_PRICES,
  perGbSecond: 0.00002,
  perMillionExecutions: 1,
  freeGbSeconds: 0,
  freeExecutions: 0,
  serviceBusBasePerMonth: 10,
  serviceBusIncludedOps: 1000,
  serviceBusPerMillionOps: 1,
  tablePer10k: 1,
  queuePer10k: 1,
  blobWritePer10k: 10,
  blobReadPer10k: 1,
  ingestionPerGb: 1,
  freeIngestionGb: 0,
  keyVaultPer10k: 1,
};
const a: Assumptions = {
  ...DEFAULT_ASSUMPTIONS,
  memoryGb: 2,
  minBillableMs: 1000,
  overlap: 0,
  durableTxPerActivity: 6,
  durableTxPerEpisode: 3,
  activeInstanceHours: 10,
  pollsPerQueueHour: 100,
  timerExecutions: 1000,
  reconcilerTxPerModelRun: 1,
  reconcilerRunsPerMonth: 100,
  ingestionFactor: 2,
  bytesPerExecution: 0,
  bytesPerDependency: 0,
  keyVaultReads: 10_000,
};
const line = (e: ReturnType<typeof estimate>, prefix: string) => e.lines.find((l) => l.service.startsWith(prefix))!;

describe('cost model (scripts/cost-model.ts)', () => {
  const e = estimate({ models: 3, promotions: 100, drifts: 10 }, prices, a, { promotion, drift });

  it('counts executions: events plus timers', () => {
    // 100 × 32 + 10 × 5 + 1000
    expect(line(e, 'Functions Flex Consumption: executions').quantity).toBe(4250);
    expect(line(e, 'Functions Flex Consumption: executions').cost).toBeCloseTo(4250 / 1e6, 6);
  });

  it('bills execution time at the larger of the measured time and the per-execution minimum, times memory', () => {
    // promotion: max(4000 ms, 32 × 1000 ms) = 32 s; drift: max(100 s, 5 s) = 100 s; timers 1000 s
    const seconds = 100 * 32 + 10 * 100 + 1000;
    expect(line(e, 'Functions Flex Consumption: execution time').quantity).toBe(seconds * 2);
    expect(line(e, 'Functions Flex Consumption: execution time').cost).toBeCloseTo(seconds * 2 * 0.00002, 6);
    const half = estimate(
      { models: 3, promotions: 100, drifts: 10 },
      prices,
      { ...a, overlap: 0.5 },
      { promotion, drift },
    );
    expect(line(half, 'Functions Flex Consumption: execution time').quantity).toBe(seconds);
  });

  it('applies the free grants before pricing', () => {
    const free = estimate(
      { models: 3, promotions: 100, drifts: 10 },
      { ...prices, freeExecutions: 4000, freeGbSeconds: 10_000 },
      a,
      { promotion, drift },
    );
    expect(line(free, 'Functions Flex Consumption: executions').cost).toBeCloseTo(250 / 1e6, 8);
    expect(line(free, 'Functions Flex Consumption: execution time').cost).toBeCloseTo((10_400 - 10_000) * 0.00002, 8);
  });

  it('prices Service Bus as base plus operations beyond the included ones (send + receive/complete per delivery)', () => {
    // 100 × (2 + 2 × 1) + 10 × (1 + 2 × 1) = 430 ops ≤ 1000 included
    expect(line(e, 'Service Bus').quantity).toBe(430);
    expect(line(e, 'Service Bus').cost).toBe(10);
    const busy = estimate({ models: 0, promotions: 1_000_000, drifts: 0 }, prices, a, { promotion, drift });
    expect(line(busy, 'Service Bus').cost).toBeCloseTo(10 + (4_000_000 - 1000) / 1e6, 4);
  });

  it('adds durable queue transactions (per activity, per episode, polling) and the app tables and blobs', () => {
    // 100 × (20 × 6 + 10 × 3) + 10 × (1 × 6 + 2 × 3) + 10 h × 5 queues × 100
    const durable = 100 * 150 + 10 * 12 + 5000;
    expect(line(e, 'Storage: durable').quantity).toBe(durable);
    expect(line(e, 'Storage: durable').cost).toBeCloseTo(durable / 1e4, 6);
    // tables 100 × 20 + 10 × 3 + 3 models × 100 runs; blob writes 100 × 5
    expect(line(e, 'Storage: tables').quantity).toBe(2000 + 30 + 300 + 500);
    expect(line(e, 'Storage: tables').cost).toBeCloseTo((2330 / 1e4) * 1 + (500 / 1e4) * 10, 6);
  });

  it('prices ingestion from log bytes and Key Vault from reads; the total is the sum of the lines', () => {
    expect(line(e, 'Application Insights').cost).toBeCloseTo((100 * 1000 * 2) / 1024 ** 3, 4);
    expect(line(e, 'Key Vault').cost).toBe(1);
    expect(e.total).toBeCloseTo(
      e.lines.reduce((s, l) => s + l.cost, 0),
      2,
    );
  });

  it('takes volumes, prices and assumptions from flags and refuses bad ones', () => {
    const p = parseArgs([
      '--models',
      '7',
      '--promotions=50',
      '--drifts',
      '9',
      '--price-gbs',
      '0.00003',
      '--memory-gb',
      '4',
      '--json',
    ]);
    expect(p.volume).toEqual({ models: 7, promotions: 50, drifts: 9 });
    expect(p.prices.perGbSecond).toBe(0.00003);
    expect(p.assumptions.memoryGb).toBe(4);
    expect(p.json).toBe(true);
    expect(() => parseArgs(['--promotions', '-1'])).toThrow(/non-negative/);
    expect(() => parseArgs(['--nope', '1'])).toThrow(/unknown argument/);
  });

  it('prints the estimate with the price date and its assumptions (npx tsx)', () => {
    const out = execFileSync(
      process.execPath,
      [
        join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'),
        join(REPO_ROOT, 'scripts', 'cost-model.ts'),
        '--models',
        '5',
        '--promotions',
        '10',
        '--drifts',
        '20',
      ],
      { encoding: 'utf8' },
    );
    expect(out).toContain('5 models, 10 promotions, 20 drift alerts');
    expect(out).toContain(`as of ${PRICES_AS_OF}`);
    expect(out).toMatch(/Assumptions:\n {2}memoryGb = 2/);
    expect(out).toMatch(/Total\s+\$\d+\.\d\d/);
  });
});
