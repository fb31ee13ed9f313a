/**
 * Monthly Azure bill estimate for Stagecraft on Flex Consumption, for N models, M promotions and K drift alerts a month.
 *
 *   npx tsx scripts/cost-model.ts --models 20 --promotions 200 --drifts 500
 *   npx tsx scripts/cost-model.ts --promotions 2000 --price-gbs 0.000026 --memory-gb 2 --json
 *   npx tsx scripts/cost-model.ts --help
 *
 * Per-event counts were MEASURED on the local host (the unmodified app, SQLite durable engine, embedded Service Bus
 * emulator, Azurite behind a counting proxy, MLflow fake) by `npx tsx scripts/cost-measure.ts --promotions 5 --drifts 5`
 * (bench/RESULTS.md "Cost model inputs"): function executions per function from the host's `Executed` lines, their
 * durations, storage requests at the proxy, log volume; one promotion = CloudEvent in → routed → 4 validations
 * (tags, threshold, champion comparison, artifacts) → report → challenger → approval → promote → record; one drift
 * alert = drift webhook → routed → retraining coordinator (debounced per model; no retraining job in the policy).
 * Polling of the approvals list by the measuring script is excluded (it is a client, not the workflow).
 *
 * NOT measured, estimated (each is an input, printed with the result):
 * - the durable backend's own storage transactions in Azure (the local engine is SQLite): per activity call and per
 *   orchestrator episode, from the Azure Storage provider's design (work-item and control queue messages: enqueue,
 *   dequeue, delete; history and instance table writes), plus queue polling while an instance is up;
 * - billable execution time: Flex Consumption bills instance memory × execution time with a 1 s minimum per
 *   execution (upper bound: executions assumed not to overlap; overlapping executions on one instance cost less);
 * - Service Bus operations: 1 send per publish, receive + complete per delivery; idle receive polling by the scale
 *   controller is not billed as messaging operations;
 * - Application Insights: bytes ingested ≈ the local host's log bytes × a factor (trace envelopes) + a request record
 *   per execution + a dependency record per storage / Service Bus call.
 * Unit prices: USD pay-as-you-go list prices (East US) as of 2025-10-01 (PRICES_AS_OF); override every one by flag.
 * They change: check the Azure pricing calculator before quoting a figure.
 */

export const PRICES_AS_OF = '2025-10-01';

export interface Prices {
  /** Flex Consumption on-demand execution time, per GB-second. */
  perGbSecond: number;
  /** Flex Consumption on-demand executions, per million. */
  perMillionExecutions: number;
  /** Monthly free grant (per subscription): GB-seconds and executions. */
  freeGbSeconds: number;
  freeExecutions: number;
  /** Service Bus Standard: base charge per month, operations included, price per million beyond. */
  serviceBusBasePerMonth: number;
  serviceBusIncludedOps: number;
  serviceBusPerMillionOps: number;
  /** Storage (Standard LRS, hot): per 10,000 transactions. */
  tablePer10k: number;
  queuePer10k: number;
  blobWritePer10k: number;
  blobReadPer10k: number;
  /** Log Analytics (Application Insights) ingestion per GB, and free GB per month. */
  ingestionPerGb: number;
  freeIngestionGb: number;
  /** Key Vault: per 10,000 secret operations. */
  keyVaultPer10k: number;
}

export const DEFAULT_PRICES: Prices = {
  perGbSecond: 0.000026,
  perMillionExecutions: 0.4,
  freeGbSeconds: 100_000,
  freeExecutions: 250_000,
  serviceBusBasePerMonth: 9.81,
  serviceBusIncludedOps: 13_000_000,
  serviceBusPerMillionOps: 0.8,
  tablePer10k: 0.00036,
  queuePer10k: 0.0004,
  blobWritePer10k: 0.055,
  blobReadPer10k: 0.0044,
  ingestionPerGb: 2.3,
  freeIngestionGb: 5,
  keyVaultPer10k: 0.03,
};

/** What one event costs in platform operations (measured locally unless marked as an estimate). */
export interface PerEvent {
  /** Orchestrator episodes (each replay is an execution). */
  orchestratorExecutions: number;
  activityExecutions: number;
  /** HTTP, Service Bus and other trigger executions (intake, router, approval decision). */
  triggerExecutions: number;
  /** Summed measured duration of those executions, ms. */
  durationMs: number;
  /** App storage requests (records tables, reports blobs). */
  tableTransactions: number;
  blobWrites: number;
  blobReads: number;
  /** Messages published to the topic, and deliveries to consuming subscriptions. */
  serviceBusPublishes: number;
  serviceBusDeliveries: number;
  /** Log bytes the host wrote for the event. */
  logBytes: number;
}

/** bench/RESULTS.md "Cost model inputs" (5 promotions, 5 drift alerts, Node v20.20.2, 2026-12-06). */
export const MEASURED: { promotion: PerEvent; drift: PerEvent } = {
  promotion: {
    orchestratorExecutions: 17,
    activityExecutions: 31.6,
    triggerExecutions: 3,
    durationMs: 1447,
    tableTransactions: 22.6,
    blobWrites: 4.6,
    blobReads: 0,
    serviceBusPublishes: 2,
    serviceBusDeliveries: 1,
    logBytes: 17_700,
  },
  drift: {
    orchestratorExecutions: 2.6,
    activityExecutions: 0.8,
    triggerExecutions: 2,
    durationMs: 238,
    tableTransactions: 2.6,
    blobWrites: 0,
    blobReads: 0,
    serviceBusPublishes: 1,
    serviceBusDeliveries: 1,
    logBytes: 2_350,
  },
};

export interface Assumptions {
  /** Flex instance memory (GB) billed per execution-second. */
  memoryGb: number;
  /** Minimum billable time per execution, ms (Flex: 1,000). */
  minBillableMs: number;
  /** Fraction of executions that overlap another on the same instance (billed once); 0 = upper bound. */
  overlap: number;
  /** Durable backend storage transactions (Azure Storage provider) per activity call and per orchestrator episode. */
  durableTxPerActivity: number;
  durableTxPerEpisode: number;
  /** Hours a month at least one instance is up (queue polling of the durable provider: 4 control + 1 work-item queue). */
  activeInstanceHours: number;
  /** Durable provider polls per queue per active hour (backs off to 30 s when idle: 120/h). */
  pollsPerQueueHour: number;
  /** Timer executions a month: schedulesTick (every minute), reconciler (every 5 min), purgeHistory (daily). */
  timerExecutions: number;
  /** Reconciler table/HTTP work per model per run is small; table transactions per model per reconciler run. */
  reconcilerTxPerModelRun: number;
  reconcilerRunsPerMonth: number;
  /** Application Insights: bytes per log byte (trace envelopes), per execution (request telemetry), per dependency call. */
  ingestionFactor: number;
  bytesPerExecution: number;
  bytesPerDependency: number;
  /** Key Vault reads a month (references are cached and refreshed about daily per instance). */
  keyVaultReads: number;
}

const MINUTES_PER_MONTH = 60 * 24 * 30;

export const DEFAULT_ASSUMPTIONS: Assumptions = {
  memoryGb: 2,
  minBillableMs: 1000,
  overlap: 0,
  durableTxPerActivity: 6,
  durableTxPerEpisode: 3,
  // schedulesTick runs every minute, so an instance is woken all month long.
  activeInstanceHours: 720,
  pollsPerQueueHour: 120,
  timerExecutions: MINUTES_PER_MONTH + MINUTES_PER_MONTH / 5 + 30,
  reconcilerTxPerModelRun: 1,
  reconcilerRunsPerMonth: MINUTES_PER_MONTH / 5,
  ingestionFactor: 1.5,
  bytesPerExecution: 1500,
  bytesPerDependency: 800,
  keyVaultReads: 20 * 30,
};

export interface Volume {
  models: number;
  promotions: number;
  drifts: number;
}

export interface LineItem {
  service: string;
  quantity: number;
  unit: string;
  cost: number;
}

export interface Estimate {
  volume: Volume;
  lines: LineItem[];
  total: number;
}

const round = (n: number, d = 2) => Math.round(n * 10 ** d) / 10 ** d;

export function estimate(
  volume: Volume,
  prices: Prices = DEFAULT_PRICES,
  a: Assumptions = DEFAULT_ASSUMPTIONS,
  measured = MEASURED,
): Estimate {
  const { promotions: m, drifts: k, models: n } = volume;
  const ev = (f: (e: PerEvent) => number) => m * f(measured.promotion) + k * f(measured.drift);
  const eventExecutions = ev((e) => e.orchestratorExecutions + e.activityExecutions + e.triggerExecutions);
  const executions = eventExecutions + a.timerExecutions;
  // Billable seconds: every execution at least minBillableMs; measured durations all lie below it per execution, so the
  // floor dominates; the larger of the two is taken per event class (upper bound), less the overlapping fraction.
  const billableMs = (e: PerEvent) =>
    Math.max(e.durationMs, (e.orchestratorExecutions + e.activityExecutions + e.triggerExecutions) * a.minBillableMs);
  const seconds =
    ((m * billableMs(measured.promotion) + k * billableMs(measured.drift) + a.timerExecutions * a.minBillableMs) /
      1000) *
    (1 - a.overlap);
  const gbSeconds = seconds * a.memoryGb;
  const execCost = (Math.max(0, executions - prices.freeExecutions) / 1e6) * prices.perMillionExecutions;
  const gbsCost = Math.max(0, gbSeconds - prices.freeGbSeconds) * prices.perGbSecond;

  const sbOps = ev((e) => e.serviceBusPublishes + 2 * e.serviceBusDeliveries);
  const sbCost =
    prices.serviceBusBasePerMonth +
    (Math.max(0, sbOps - prices.serviceBusIncludedOps) / 1e6) * prices.serviceBusPerMillionOps;

  const durableQueueTx =
    ev((e) => e.activityExecutions * a.durableTxPerActivity + e.orchestratorExecutions * a.durableTxPerEpisode) +
    a.activeInstanceHours * 5 * a.pollsPerQueueHour;
  const tableTx = ev((e) => e.tableTransactions) + n * a.reconcilerRunsPerMonth * a.reconcilerTxPerModelRun;
  const blobWrites = ev((e) => e.blobWrites);
  const blobReads = ev((e) => e.blobReads);
  const storageCost =
    (durableQueueTx / 1e4) * prices.queuePer10k +
    (tableTx / 1e4) * prices.tablePer10k +
    (blobWrites / 1e4) * prices.blobWritePer10k +
    (blobReads / 1e4) * prices.blobReadPer10k;

  const dependencies = ev((e) => e.tableTransactions + e.blobWrites + e.blobReads + e.serviceBusPublishes);
  const ingestionGb =
    (ev((e) => e.logBytes) * a.ingestionFactor +
      executions * a.bytesPerExecution +
      dependencies * a.bytesPerDependency) /
    1024 ** 3;
  const ingestionCost = Math.max(0, ingestionGb - prices.freeIngestionGb) * prices.ingestionPerGb;
  const kvCost = (a.keyVaultReads / 1e4) * prices.keyVaultPer10k;

  const lines: LineItem[] = [
    {
      service: 'Functions Flex Consumption: executions',
      quantity: round(executions, 0),
      unit: 'executions',
      cost: execCost,
    },
    {
      service: 'Functions Flex Consumption: execution time',
      quantity: round(gbSeconds, 0),
      unit: 'GB-s',
      cost: gbsCost,
    },
    {
      service: 'Service Bus Standard (base + operations)',
      quantity: round(sbOps, 0),
      unit: 'operations',
      cost: sbCost,
    },
    {
      service: 'Storage: durable queues (estimated) and polling',
      quantity: round(durableQueueTx, 0),
      unit: 'transactions',
      cost: (durableQueueTx / 1e4) * prices.queuePer10k,
    },
    {
      service: 'Storage: tables and blobs (measured)',
      quantity: round(tableTx + blobWrites + blobReads, 0),
      unit: 'transactions',
      cost: storageCost - (durableQueueTx / 1e4) * prices.queuePer10k,
    },
    { service: 'Application Insights ingestion', quantity: round(ingestionGb, 3), unit: 'GB', cost: ingestionCost },
    { service: 'Key Vault', quantity: a.keyVaultReads, unit: 'operations', cost: kvCost },
  ];
  return {
    volume,
    lines,
    total: round(
      lines.reduce((s, l) => s + l.cost, 0),
      2,
    ),
  };
}

// ---- CLI ----

const FLAGS: Record<
  string,
  { key: keyof Prices | keyof Assumptions | keyof Volume; group: 'prices' | 'assumptions' | 'volume'; help: string }
> = {
  models: { key: 'models', group: 'volume', help: 'registered models the reconciler polls' },
  promotions: { key: 'promotions', group: 'volume', help: 'promotions a month (M)' },
  drifts: { key: 'drifts', group: 'volume', help: 'drift alerts a month (K)' },
  'price-gbs': { key: 'perGbSecond', group: 'prices', help: 'Flex on-demand $/GB-s' },
  'price-executions': { key: 'perMillionExecutions', group: 'prices', help: 'Flex on-demand $/million executions' },
  'free-gbs': { key: 'freeGbSeconds', group: 'prices', help: 'free GB-s a month' },
  'free-executions': { key: 'freeExecutions', group: 'prices', help: 'free executions a month' },
  'price-sb-base': { key: 'serviceBusBasePerMonth', group: 'prices', help: 'Service Bus Standard base $/month' },
  'sb-included-ops': { key: 'serviceBusIncludedOps', group: 'prices', help: 'Service Bus operations included' },
  'price-sb-ops': { key: 'serviceBusPerMillionOps', group: 'prices', help: 'Service Bus $/million operations beyond' },
  'price-table': { key: 'tablePer10k', group: 'prices', help: 'table $/10k transactions' },
  'price-queue': { key: 'queuePer10k', group: 'prices', help: 'queue $/10k transactions' },
  'price-blob-write': { key: 'blobWritePer10k', group: 'prices', help: 'blob write $/10k' },
  'price-blob-read': { key: 'blobReadPer10k', group: 'prices', help: 'blob read $/10k' },
  'price-ingestion': { key: 'ingestionPerGb', group: 'prices', help: 'Log Analytics $/GB ingested' },
  'free-ingestion': { key: 'freeIngestionGb', group: 'prices', help: 'free GB ingested a month' },
  'price-keyvault': { key: 'keyVaultPer10k', group: 'prices', help: 'Key Vault $/10k operations' },
  'memory-gb': { key: 'memoryGb', group: 'assumptions', help: 'Flex instance memory GB (0.5, 2, 4)' },
  'min-billable-ms': { key: 'minBillableMs', group: 'assumptions', help: 'minimum billable ms per execution' },
  overlap: { key: 'overlap', group: 'assumptions', help: 'fraction of executions overlapping (0-1)' },
  'durable-tx-activity': { key: 'durableTxPerActivity', group: 'assumptions', help: 'durable storage tx per activity' },
  'durable-tx-episode': {
    key: 'durableTxPerEpisode',
    group: 'assumptions',
    help: 'durable storage tx per orchestrator episode',
  },
  'active-hours': { key: 'activeInstanceHours', group: 'assumptions', help: 'hours a month an instance is up' },
  'timer-executions': { key: 'timerExecutions', group: 'assumptions', help: 'timer executions a month' },
  'ingestion-factor': { key: 'ingestionFactor', group: 'assumptions', help: 'App Insights bytes per log byte' },
  'bytes-per-execution': {
    key: 'bytesPerExecution',
    group: 'assumptions',
    help: 'App Insights bytes per execution (request)',
  },
  'bytes-per-dependency': {
    key: 'bytesPerDependency',
    group: 'assumptions',
    help: 'App Insights bytes per dependency call',
  },
};

export function parseArgs(argv: string[]): { volume: Volume; prices: Prices; assumptions: Assumptions; json: boolean } {
  const volume: Volume = { models: 10, promotions: 100, drifts: 100 };
  const prices: Prices = { ...DEFAULT_PRICES };
  const assumptions: Assumptions = { ...DEFAULT_ASSUMPTIONS };
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--json') {
      json = true;
      continue;
    }
    const name = a.replace(/^--/, '').split('=')[0]!;
    const flag = FLAGS[name];
    if (!a.startsWith('--') || flag === undefined) throw new Error(`unknown argument ${a} (see --help)`);
    const raw = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i];
    const value = Number(raw);
    if (raw === undefined || raw.trim() === '' || !Number.isFinite(value) || value < 0)
      throw new Error(`--${name} needs a non-negative number (got ${String(raw)})`);
    const target = (flag.group === 'volume'
      ? volume
      : flag.group === 'prices'
        ? prices
        : assumptions) as unknown as Record<string, number>;
    target[flag.key] = value;
  }
  return { volume, prices, assumptions, json };
}

export function render(e: Estimate, prices: Prices, a: Assumptions): string {
  const money = (n: number) => `$${n.toFixed(2)}`;
  const out = [
    `Stagecraft monthly Azure estimate: ${e.volume.models} models, ${e.volume.promotions} promotions, ${e.volume.drifts} drift alerts`,
    '',
    ...e.lines.map(
      (l) =>
        `  ${l.service.padEnd(50)} ${String(l.quantity).padStart(12)} ${l.unit.padEnd(13)} ${money(l.cost).padStart(10)}`,
    ),
    `  ${'Total'.padEnd(77)} ${money(e.total).padStart(10)}`,
    '',
    `Unit prices (USD, pay-as-you-go list prices as of ${PRICES_AS_OF}; override with flags, see --help):`,
    ...Object.entries(prices).map(([k, v]) => `  ${k} = ${String(v)}`),
    'Assumptions:',
    ...Object.entries(a).map(([k, v]) => `  ${k} = ${String(v)}`),
    `  per promotion (measured, bench/RESULTS.md): ${JSON.stringify(MEASURED.promotion)}`,
    `  per drift alert (measured): ${JSON.stringify(MEASURED.drift)}`,
    '  Flex execution time is an upper bound: each execution billed at least minBillableMs, no overlap unless --overlap.',
    '  Durable Azure Storage provider transactions are estimated (the local engine is SQLite); Durable Task Scheduler is not priced here.',
    '  Not included: Databricks/MLflow compute, egress, storage capacity (a few MB), private endpoints and VNet, support plans.',
  ];
  return out.join('\n');
}

if (require.main === module) {
  if (process.argv.includes('--help')) {
    console.log(
      'npx tsx scripts/cost-model.ts [--json] ' +
        Object.entries(FLAGS)
          .map(([k, f]) => `[--${k} N] (${f.help})`)
          .join('\n  '),
    );
    process.exit(0);
  }
  try {
    const { volume, prices, assumptions, json } = parseArgs(process.argv.slice(2));
    const e = estimate(volume, prices, assumptions);
    console.log(
      json
        ? JSON.stringify({ pricesAsOf: PRICES_AS_OF, ...e, prices, assumptions, measured: MEASURED }, null, 2)
        : render(e, prices, assumptions),
    );
  } catch (err) {
    console.error((err as Error).message);
    process.exit(2);
  }
}
