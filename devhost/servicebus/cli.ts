/**
 * `devhost servicebus <list|peek|resubmit>`: inspect the embedded emulator's store under `<stateDir>/servicebus/`.
 *
 * - list and peek read the SQLite store directly (read-only; safe while the host runs, WAL readers see commits).
 * - resubmit: when a live broker owns the store (owner file with a live pid) it asks that broker over AMQP
 *   (an emulator-only $management operation, authenticated with the app's emulator connection string) so its
 *   in-memory state sees the change; otherwise it rewrites the store directly. Either way messages go back to
 *   their entity as new messages (new sequence numbers, deliveryCount 0, DeadLetterReason/
 *   DeadLetterErrorDescription removed).
 * Exit codes: 0 ok, 1 nothing to act on / store busy, 2 usage error.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Message } from 'rhea';
import { decodeMessage, encodeMessage } from './amqp-util';
import { managementRequest } from './admin-client';
import { DEFAULT_SAS_KEY, DEFAULT_SAS_KEY_NAME, ownerFile, RESUBMIT_OPERATION } from './broker';
import { parseConnectionString } from './host-settings';
import { DLQ_SUFFIX } from './engine';
import { MessageState, SqliteMessageStore, type StoredMessage } from './store';

/** The usage text, for the CLI named `program` (`devhost`, or the app CLI that composes it). */
const usageText = (program: string): string => `Usage: ${program} servicebus <command> [options]

Commands:
  list                                     Entities with active / scheduled / deferred / dead-letter counts
  peek <entity> [--dlq] [--count N]        Show messages (entity: queue, or topic/Subscriptions/sub)
  resubmit <entity> [--all | --sequence N] Move dead-lettered messages back to the entity
`;

export interface ServiceBusCliOptions {
  appDir: string;
  stateDir: string;
  /** The CLI's name in usage and hints (default `devhost`). */
  program?: string;
  /** Output sink (default process.stdout / stderr). */
  out?: (line: string) => void;
  err?: (line: string) => void;
}

function stores(stateDir: string): string[] {
  const dir = join(stateDir, 'servicebus');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => /^servicebus-\d+\.sqlite$/.test(f))
    .sort()
    .map((f) => join(dir, f));
}

function ownerAlive(dbPath: string): { pid: number; port: number } | undefined {
  try {
    const owner = JSON.parse(readFileSync(ownerFile(dbPath), 'utf8')) as { pid: number; port: number };
    process.kill(owner.pid, 0);
    return owner;
  } catch {
    return undefined;
  }
}

/** Key name/key of the app's emulator connection string for `port` (env wins over local.settings.json). */
function emulatorCredentials(appDir: string, port: number): { keyName: string; key: string } {
  let values: Record<string, unknown> = {};
  try {
    values =
      (JSON.parse(readFileSync(join(appDir, 'local.settings.json'), 'utf8')) as { Values?: Record<string, unknown> })
        .Values ?? {};
  } catch {
    // no local.settings.json: environment only
  }
  const candidates = [...Object.values(process.env), ...Object.values(values)].filter(
    (v): v is string => typeof v === 'string',
  );
  for (const cs of candidates) {
    const p = parseConnectionString(cs);
    if (p.emulator && (p.port ?? 5672) === port && p.keyName && p.key) return { keyName: p.keyName, key: p.key };
  }
  return { keyName: DEFAULT_SAS_KEY_NAME, key: DEFAULT_SAS_KEY };
}

function bodyOf(msg: Message): unknown {
  const body = msg.body as unknown;
  const section = body as { typecode?: number; content?: unknown; multiple?: boolean } | undefined;
  if (section && section.typecode === 0x75 && !section.multiple && Buffer.isBuffer(section.content)) {
    const text = section.content.toString('utf8');
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return Buffer.from(text, 'utf8').equals(section.content) ? text : { base64: section.content.toString('base64') };
    }
  }
  return body;
}

function describeRow(r: StoredMessage): Record<string, unknown> {
  const msg = decodeMessage(r.raw);
  return {
    sequenceNumber: r.seq,
    messageId: r.messageId,
    state: r.state === MessageState.Active ? 'active' : r.state === MessageState.Deferred ? 'deferred' : 'scheduled',
    enqueuedTimeUtc: new Date(r.enqueuedAt).toISOString(),
    ...(r.scheduledAt ? { scheduledEnqueueTimeUtc: new Date(r.scheduledAt).toISOString() } : {}),
    ...(r.expiresAt ? { expiresAtUtc: new Date(r.expiresAt).toISOString() } : {}),
    deliveryCount: r.deliveryCount,
    ...(msg.subject ? { subject: msg.subject } : {}),
    ...(msg.correlation_id ? { correlationId: msg.correlation_id } : {}),
    ...(r.dlSource ? { deadLetterSource: r.dlSource } : {}),
    applicationProperties: (msg.application_properties as unknown) ?? {},
    body: bodyOf(msg),
  };
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

export async function servicebusCommand(argv: string[], opts: ServiceBusCliOptions): Promise<number> {
  const out = opts.out ?? ((l: string) => process.stdout.write(`${l}\n`));
  const err = opts.err ?? ((l: string) => process.stderr.write(`${l}\n`));
  const program = opts.program ?? 'devhost';
  const USAGE = usageText(program);
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        dlq: { type: 'boolean', default: false },
        count: { type: 'string', default: '10' },
        all: { type: 'boolean', default: false },
        sequence: { type: 'string', multiple: true },
        // Resolved by the caller into opts.appDir / opts.stateDir; accepted here so raw argv can be passed through.
        app: { type: 'string' },
        state: { type: 'string' },
      },
    });
  } catch (e) {
    err(`${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  const [command, entityArg] = parsed.positionals;
  if (!command || command === 'help') {
    out(USAGE);
    return command ? 0 : 2;
  }
  const files = stores(opts.stateDir);
  if (files.length === 0) {
    err(
      `No Service Bus emulator data under ${join(opts.stateDir, 'servicebus')}. Start the host once with a connection string that has UseDevelopmentEmulator=true.`,
    );
    return 1;
  }

  if (command === 'list') {
    for (const file of files) {
      const store = new SqliteMessageStore(file, { readonly: true });
      try {
        const counts = new Map<string, { active: number; scheduled: number; deferred: number; dead: number }>();
        const get = (p: string): { active: number; scheduled: number; deferred: number; dead: number } => {
          let c = counts.get(p);
          if (!c) counts.set(p, (c = { active: 0, scheduled: 0, deferred: 0, dead: 0 }));
          return c;
        };
        for (const row of store.counts()) {
          if (row.entity.endsWith(DLQ_SUFFIX)) get(row.entity.slice(0, -DLQ_SUFFIX.length)).dead += row.n;
          else if (row.state === MessageState.Active) get(row.entity).active += row.n;
          else if (row.state === MessageState.Scheduled) get(row.entity).scheduled += row.n;
          else get(row.entity).deferred += row.n;
        }
        const owner = ownerAlive(file);
        out(`${file}${owner ? ` (broker running, pid ${owner.pid}, port ${owner.port})` : ' (broker not running)'}`);
        out(
          `${pad('ENTITY', 48)} ${pad('KIND', 13)} ${pad('ACTIVE', 8)} ${pad('SCHEDULED', 10)} ${pad('DEFERRED', 9)} DEAD-LETTER`,
        );
        for (const e of store.listEntities()) {
          const c = counts.get(e.path.toLowerCase()) ?? { active: 0, scheduled: 0, deferred: 0, dead: 0 };
          out(
            `${pad(e.path, 48)} ${pad(e.kind, 13)} ${pad(String(c.active), 8)} ${pad(String(c.scheduled), 10)} ${pad(String(c.deferred), 9)} ${c.dead}`,
          );
        }
      } finally {
        store.close();
      }
    }
    return 0;
  }

  if (command !== 'peek' && command !== 'resubmit') {
    err(`Unknown servicebus command '${command}'.\n${USAGE}`);
    return 2;
  }
  if (!entityArg) {
    err(`servicebus ${command} needs an entity (queue name, or topic/Subscriptions/subscription).\n${USAGE}`);
    return 2;
  }
  const entity = entityArg.toLowerCase().replace(/\/\$deadletterqueue$/, '');

  if (command === 'peek') {
    const count = Number(parsed.values.count);
    if (!Number.isInteger(count) || count < 1) {
      err(`--count must be a whole number >= 1 (got ${parsed.values.count})`);
      return 2;
    }
    const path = parsed.values.dlq ? entity + DLQ_SUFFIX : entity;
    let found = false;
    for (const file of files) {
      const store = new SqliteMessageStore(file, { readonly: true });
      try {
        if (!store.listEntities().some((e) => e.path.toLowerCase() === entity)) continue;
        found = true;
        for (const row of store.peekRows(path, count)) out(JSON.stringify(describeRow(row)));
      } finally {
        store.close();
      }
    }
    if (!found) {
      err(`No entity '${entityArg}' in the emulator store. Run \`${program} servicebus list\` to see the entities.`);
      return 1;
    }
    return 0;
  }

  // resubmit
  const seqs = (parsed.values.sequence ?? []).map(Number);
  if (!parsed.values.all && seqs.length === 0) {
    err('servicebus resubmit needs --all or --sequence N (repeatable)');
    return 2;
  }
  if (seqs.some((n) => !Number.isInteger(n) || n < 1)) {
    err('--sequence must be a whole number >= 1');
    return 2;
  }
  for (const file of files) {
    const ro = new SqliteMessageStore(file, { readonly: true });
    const known = ro.listEntities().some((e) => e.path.toLowerCase() === entity);
    ro.close();
    if (!known) continue;
    const owner = ownerAlive(file);
    if (owner) {
      // A live broker owns the store: ask it (its in-memory state must see the change).
      const creds = emulatorCredentials(opts.appDir, owner.port);
      try {
        const res = (await managementRequest(
          { host: '127.0.0.1', port: owner.port, ...creds },
          entityArg,
          RESUBMIT_OPERATION,
          parsed.values.all ? { all: true } : { 'sequence-numbers': seqs },
        )) as { count?: number } | undefined;
        const count = res?.count ?? 0;
        out(
          `Resubmitted ${count} dead-lettered message(s) to ${entityArg} (through the running broker on port ${owner.port}).`,
        );
        return count > 0 || parsed.values.all ? 0 : 1;
      } catch (e) {
        err(`Resubmit through the running broker (port ${owner.port}) failed: ${(e as Error).message}`);
        return 1;
      }
    }
    const store = new SqliteMessageStore(file);
    try {
      const picked = store
        .peekRows(entity + DLQ_SUFFIX, 1_000_000)
        .filter((r) => parsed.values.all || seqs.includes(r.seq));
      let last = store.lastSequence();
      const now = Date.now();
      store.transaction(() => {
        for (const r of picked) {
          const msg = decodeMessage(r.raw);
          const ap = { ...((msg.application_properties as Record<string, unknown> | undefined) ?? {}) };
          delete ap['DeadLetterReason'];
          delete ap['DeadLetterErrorDescription'];
          const fresh = { ...msg, application_properties: ap } as Message;
          store.remove(r.entity, r.seq);
          store.insert({
            entity,
            seq: ++last,
            state: MessageState.Active,
            enqueuedAt: now,
            scheduledAt: null,
            expiresAt: null,
            deliveryCount: 0,
            messageId: r.messageId,
            dlSource: null,
            raw: encodeMessage(fresh),
          });
        }
        store.setLastSequence(last);
      });
      out(`Resubmitted ${picked.length} dead-lettered message(s) to ${entityArg}.`);
      return picked.length > 0 || parsed.values.all ? 0 : 1;
    } finally {
      store.close();
    }
  }
  err(`No entity '${entityArg}' in the emulator store. Run \`${program} servicebus list\` to see the entities.`);
  return 1;
}
