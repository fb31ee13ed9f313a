/**
 * Development-storage connection strings: recognising them and pointing them at the ports Azurite actually runs on.
 * The account and key are Azurite's public, documented development credentials (not secrets).
 */

export const DEV_ACCOUNT = 'devstoreaccount1';
export const DEV_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface StoragePorts {
  blob: number;
  queue: number;
  table: number;
}

export const STANDARD_PORTS: StoragePorts = { blob: 10000, queue: 10001, table: 10002 };

function segments(value: string): [string, string][] {
  return value
    .split(';')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => {
      const eq = s.indexOf('=');
      return eq < 0 ? [s, ''] : [s.slice(0, eq).trim(), s.slice(eq + 1).trim()];
    });
}

/** `UseDevelopmentStorage=true` or a connection string for the `devstoreaccount1` account. */
export function isDevStorage(value: string | undefined): boolean {
  if (!value) return false;
  return segments(value).some(
    ([k, v]) =>
      (k.toLowerCase() === 'usedevelopmentstorage' && v.toLowerCase() === 'true') ||
      (k.toLowerCase() === 'accountname' && v === DEV_ACCOUNT),
  );
}

const LOOPBACK = /^(127\.0\.0\.1|localhost|\[::1\])$/i;

/**
 * The same connection string aimed at `ports` on 127.0.0.1. `UseDevelopmentStorage=true` becomes the full form
 * (SDKs expand it to the standard ports); explicit endpoints on loopback get their port replaced; endpoints
 * elsewhere are left alone.
 */
export function pointAtPorts(value: string, ports: StoragePorts): string {
  const segs = segments(value);
  const endpoint = (service: keyof StoragePorts) => `http://127.0.0.1:${ports[service]}/${DEV_ACCOUNT}`;
  if (segs.some(([k, v]) => k.toLowerCase() === 'usedevelopmentstorage' && v.toLowerCase() === 'true')) {
    return `DefaultEndpointsProtocol=http;AccountName=${DEV_ACCOUNT};AccountKey=${DEV_KEY};BlobEndpoint=${endpoint('blob')};QueueEndpoint=${endpoint('queue')};TableEndpoint=${endpoint('table')};`;
  }
  const keyFor: Record<string, keyof StoragePorts> = {
    blobendpoint: 'blob',
    queueendpoint: 'queue',
    tableendpoint: 'table',
  };
  const present = new Set<string>();
  const out = segs.map(([k, v]) => {
    const service = keyFor[k.toLowerCase()];
    if (!service) return `${k}=${v}`;
    present.add(service);
    try {
      const url = new URL(v);
      if (!LOOPBACK.test(url.hostname)) return `${k}=${v}`;
      url.port = String(ports[service]);
      return `${k}=${url.toString().replace(/\/$/, '')}`;
    } catch {
      return `${k}=${v}`;
    }
  });
  for (const service of ['blob', 'queue', 'table'] as const) {
    if (!present.has(service)) out.push(`${service[0]!.toUpperCase()}${service.slice(1)}Endpoint=${endpoint(service)}`);
  }
  return out.join(';') + ';';
}
