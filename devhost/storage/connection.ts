/**
 * Storage connections for bindings: `connection` names an app setting holding a connection string (the host also
 * tries `AzureWebJobs<connection>`, as Azure does); no `connection` means `AzureWebJobsStorage`.
 *
 * Invariant: connection strings and keys never appear in errors or logs; only setting names do.
 */
import { HostError } from '../host/types';

export const DEFAULT_STORAGE_CONNECTION = 'AzureWebJobsStorage';

export interface StorageAccount {
  /** The setting the connection string came from (for messages). */
  setting: string;
  connectionString: string;
  accountName: string;
  accountKey?: string;
  /** SAS token (no leading '?') when the connection string carries one instead of a key. */
  sas?: string;
  blobEndpoint: string;
  queueEndpoint: string;
  tableEndpoint: string;
}

const DEV_ACCOUNT = 'devstoreaccount1';
const DEV_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

function parts(cs: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const seg of cs.split(';')) {
    const s = seg.trim();
    if (!s) continue;
    const eq = s.indexOf('=');
    if (eq < 0) continue;
    out.set(s.slice(0, eq).trim().toLowerCase(), s.slice(eq + 1).trim());
  }
  return out;
}

/** Parses a storage connection string; throws naming only the setting. */
export function parseStorageConnectionString(cs: string, setting: string): StorageAccount {
  const p = parts(cs);
  if ((p.get('usedevelopmentstorage') ?? '').toLowerCase() === 'true') {
    const base = (port: number) => `http://127.0.0.1:${port}/${DEV_ACCOUNT}`;
    return {
      setting,
      connectionString: cs,
      accountName: DEV_ACCOUNT,
      accountKey: DEV_KEY,
      blobEndpoint: base(10000),
      queueEndpoint: base(10001),
      tableEndpoint: base(10002),
    };
  }
  const accountName = p.get('accountname');
  const accountKey = p.get('accountkey');
  const sas = p.get('sharedaccesssignature')?.replace(/^\?/, '');
  const protocol = p.get('defaultendpointsprotocol') ?? 'https';
  const suffix = p.get('endpointsuffix') ?? 'core.windows.net';
  const endpoint = (service: 'blob' | 'queue' | 'table'): string | undefined => {
    const explicit = p.get(`${service}endpoint`);
    if (explicit) return explicit.replace(/\/+$/, '');
    return accountName ? `${protocol}://${accountName}.${service}.${suffix}` : undefined;
  };
  const blobEndpoint = endpoint('blob');
  const queueEndpoint = endpoint('queue');
  const tableEndpoint = endpoint('table');
  if (!blobEndpoint || !queueEndpoint || !tableEndpoint || (!accountKey && !sas)) {
    throw new HostError(
      'STORAGE_CONNECTION_INVALID',
      `App setting '${setting}' is not a usable storage connection string (it needs AccountName and AccountKey, or endpoints and SharedAccessSignature). Locally use 'UseDevelopmentStorage=true'.`,
      { setting },
    );
  }
  const name =
    accountName ??
    new URL(queueEndpoint).pathname.split('/').filter(Boolean)[0] ??
    new URL(queueEndpoint).hostname.split('.')[0] ??
    '';
  return {
    setting,
    connectionString: cs,
    accountName: name,
    ...(accountKey ? { accountKey } : {}),
    ...(sas ? { sas } : {}),
    blobEndpoint,
    queueEndpoint,
    tableEndpoint,
  };
}

/** The setting a binding's `connection` refers to: the name itself, else `AzureWebJobs<name>`. */
export function resolveConnection(connection: unknown, settings: NodeJS.ProcessEnv): StorageAccount {
  const name = typeof connection === 'string' && connection.trim() ? connection.trim() : DEFAULT_STORAGE_CONNECTION;
  for (const candidate of [name, `AzureWebJobs${name}`]) {
    const v = settings[candidate];
    if (v && v.trim()) return parseStorageConnectionString(v, candidate);
  }
  if (settings[`${name}__accountName`] || settings[`${name}__queueServiceUri`] || settings[`${name}__blobServiceUri`]) {
    throw new HostError(
      'STORAGE_IDENTITY_UNSUPPORTED',
      `Storage connection '${name}' is identity-based (${name}__...); the local host supports connection strings only. Set '${name}' to a connection string (locally 'UseDevelopmentStorage=true').`,
      { setting: name },
    );
  }
  throw new HostError(
    'STORAGE_CONNECTION_MISSING',
    `Storage connection setting '${name}' is not set (local.settings.json Values or the environment). Locally use 'UseDevelopmentStorage=true'.`,
    { setting: name },
  );
}

/** The connection setting name a binding uses (for validation messages and grouping). */
export function connectionName(connection: unknown): string {
  return typeof connection === 'string' && connection.trim() ? connection.trim() : DEFAULT_STORAGE_CONNECTION;
}
