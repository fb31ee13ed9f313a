import { storageClients } from '../records/clients';
import { BlobStore } from '../records/blobs';
import type { RunsSettings } from '../runs/settings';

/** The reports container (JUnit XML, release before/after JSON), or undefined without storage settings. */
export function reportsStore(settings: RunsSettings): BlobStore | undefined {
  return settings.storage
    ? new BlobStore(storageClients(settings.storage).blobService, settings.reportsContainer)
    : undefined;
}

/** Blob path segment for an instance id (ids never contain '/', but may contain '%', which some tools mangle). */
export function blobSegment(instanceId: string): string {
  return instanceId.replace(/%/g, '_');
}

export function runLink(settings: RunsSettings, instanceId: string): string | undefined {
  return settings.publicUrl ? `${settings.publicUrl}/api/runs/${encodeURIComponent(instanceId)}` : undefined;
}
