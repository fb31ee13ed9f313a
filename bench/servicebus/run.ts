/**
 * Service Bus emulator benchmark: the real @azure/service-bus SDK against the in-process broker (SQLite, WAL).
 * Run: npx tsx bench/servicebus/run.ts [--messages 20000]
 * Prints batched send msgs/s, receive+complete msgs/s, and send→handler latency p50/p99 (subscribe callback).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ServiceBusClient, type ServiceBusMessage } from '@azure/service-bus';
import { ServiceBusEmulator } from '../../devhost/servicebus/broker';
import { compileConfig } from '../../devhost/servicebus/config';
import { spawnBroker, type BrokerProcess } from '../../devhost/servicebus/child';

/** CPU seconds used so far by this process, and by the broker child (from /proc) when there is one. */
function cpuSeconds(childPid: number | undefined): { client: number; broker: number } {
  const u = process.cpuUsage();
  const client = (u.user + u.system) / 1e6;
  if (childPid === undefined) return { client, broker: 0 };
  try {
    const fields = readFileSync(`/proc/${childPid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    const ticks = Number(fields[11]) + Number(fields[12]);
    return { client, broker: ticks / 100 };
  } catch {
    return { client, broker: NaN };
  }
}

function cpuLine(
  label: string,
  n: number,
  a: { client: number; broker: number },
  b: { client: number; broker: number },
  inProcess: boolean,
): string {
  const client = b.client - a.client;
  const broker = b.broker - a.broker;
  if (inProcess)
    return `  ${label}: ${client.toFixed(2)} CPU-s in one process (client SDK + broker) -> ${(n / client).toFixed(0)} msgs per CPU-second`;
  const bound = n / Math.max(client, broker);
  return `  ${label}: client ${client.toFixed(2)} CPU-s, broker ${broker.toFixed(2)} CPU-s -> broker alone ${(n / broker).toFixed(0)} msgs/CPU-s; on 2 idle cores (one each) ~${bound.toFixed(0)} msgs/s`;
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      messages: { type: 'string', default: '20000' },
      latency: { type: 'string', default: '500' },
      broker: { type: 'string', default: 'child' },
    },
  });
  const inProcess = values.broker === 'inproc';
  const total = Number(values.messages);
  const latencyCount = Number(values.latency);
  const dir = mkdtempSync(join(tmpdir(), 'sb-bench-'));
  const rawConfig = {
    UserConfig: { Namespaces: [{ Name: 'sbemulatorns', Queues: [{ Name: 'bench' }, { Name: 'latency' }] }] },
  };
  const configPath = join(dir, 'Config.json');
  writeFileSync(configPath, JSON.stringify(rawConfig));
  const emulator = new ServiceBusEmulator();
  let child: BrokerProcess | undefined;
  let connectionString: string;
  if (inProcess) {
    ({ connectionString } = await emulator.start({
      port: 0,
      dbPath: join(dir, 'sb.sqlite'),
      config: compileConfig(rawConfig),
    }));
  } else {
    child = await spawnBroker({ dbPath: join(dir, 'sb.sqlite'), configPath });
    connectionString = child.connectionString;
  }
  const client = new ServiceBusClient(connectionString);
  try {
    // 1. Batched send: createMessageBatch filled to the broker's max message size, 4 batches in flight.
    const sender = client.createSender('bench');
    const body = { runId: 'run-0001', stage: 'train', metric: 0.9731, note: 'x'.repeat(64) };
    await sender.sendMessages({ body });
    const pid = child?.proc.pid;
    const c0 = cpuSeconds(pid);
    const t0 = performance.now();
    let sent = 0;
    const inflight: Array<Promise<void>> = [];
    while (sent < total) {
      const batch = await sender.createMessageBatch();
      while (
        sent < total &&
        batch.tryAddMessage({ body, applicationProperties: { i: sent } } satisfies ServiceBusMessage)
      )
        sent++;
      inflight.push(sender.sendMessages(batch));
      if (inflight.length >= 4) await inflight.shift();
    }
    await Promise.all(inflight);
    const sendSecs = (performance.now() - t0) / 1000;
    const sendRate = total / sendSecs;
    const c1 = cpuSeconds(pid);

    // 2. Receive + complete (peek-lock) with subscribe(), autoComplete, maxConcurrentCalls 32.
    const receiver = client.createReceiver('bench', { maxAutoLockRenewalDurationInMs: 0 });
    const expected = total + 1;
    let got = 0;
    const t1 = performance.now();
    await new Promise<void>((resolve, reject) => {
      const sub = receiver.subscribe(
        {
          processMessage: async () => {
            got++;
            if (got === expected) resolve();
          },
          processError: async (args) => reject(args.error),
        },
        { maxConcurrentCalls: 32, autoCompleteMessages: true },
      );
      void sub;
    });
    const recvSecs = (performance.now() - t1) / 1000;
    const recvRate = expected / recvSecs;
    const c2 = cpuSeconds(pid);
    await receiver.close();

    // 3. Send → handler latency, sequential single sends.
    const lsender = client.createSender('latency');
    const lreceiver = client.createReceiver('latency', { maxAutoLockRenewalDurationInMs: 0 });
    const lat: number[] = [];
    let waiting: ((t: number) => void) | undefined;
    lreceiver.subscribe(
      { processMessage: async () => waiting?.(performance.now()), processError: async () => undefined },
      { maxConcurrentCalls: 1, autoCompleteMessages: true },
    );
    for (let i = 0; i < latencyCount + 20; i++) {
      const arrived = new Promise<number>((r) => (waiting = r));
      const s = performance.now();
      await lsender.sendMessages({ body: { i } });
      const a = await arrived;
      if (i >= 20) lat.push(a - s);
    }
    lat.sort((a, b) => a - b);
    await lreceiver.close();

    const machine = `${cpus().length} cores (${cpus()[0]?.model ?? '?'}), Node ${process.version}, load average at end ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`;
    console.log(
      `machine: ${machine}; broker ${inProcess ? 'in the client process' : 'in a child process (client and broker on separate cores)'}; SQLite WAL synchronous=NORMAL`,
    );
    console.log(
      `batched send:        ${sendRate.toFixed(0)} msgs/s (${total} msgs in ${sendSecs.toFixed(2)} s) goal >= 10000 -> ${(sendRate / 10000).toFixed(2)}x`,
    );
    console.log(
      `receive+complete:    ${recvRate.toFixed(0)} msgs/s (${expected} msgs in ${recvSecs.toFixed(2)} s) goal >= 2000 -> ${(recvRate / 2000).toFixed(2)}x`,
    );
    console.log('CPU time (load-independent view of the same runs):');
    console.log(cpuLine('batched send', total, c0, c1, inProcess));
    console.log(cpuLine('receive+complete', expected, c1, c2, inProcess));
    console.log(
      `send->handler p50:   ${pct(lat, 50).toFixed(2)} ms, p99: ${pct(lat, 99).toFixed(2)} ms, max ${(lat[lat.length - 1] ?? NaN).toFixed(2)} ms (n=${lat.length}) goal p99 <= 20 ms -> ${(20 / pct(lat, 99)).toFixed(2)}x headroom`,
    );
  } finally {
    await client.close();
    if (child) await child.stop();
    else await emulator.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
