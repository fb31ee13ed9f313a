/**
 * SDK clients per storage account, created on first use: Blob (`@azure/storage-blob`), Table (`@azure/data-tables`)
 * and Queue (our REST client). Keyed by the connection setting's value, so two settings naming one account share.
 */
import { AnonymousCredential, BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { AzureNamedKeyCredential, AzureSASCredential, TableClient } from '@azure/data-tables';
import type { StorageAccount } from './connection';
import { QueueClient } from './queue-client';

export class StorageClients {
  private readonly blobServices = new Map<string, BlobServiceClient>();
  private readonly tables = new Map<string, TableClient>();
  private readonly tablesCreated = new Set<string>();
  private readonly queues = new Map<string, QueueClient>();
  private readonly queuesCreated = new Set<string>();

  blobService(account: StorageAccount): BlobServiceClient {
    let c = this.blobServices.get(account.connectionString);
    if (!c) {
      c = account.sas
        ? new BlobServiceClient(`${account.blobEndpoint}?${account.sas}`, new AnonymousCredential())
        : new BlobServiceClient(
            account.blobEndpoint,
            new StorageSharedKeyCredential(account.accountName, account.accountKey ?? ''),
          );
      this.blobServices.set(account.connectionString, c);
    }
    return c;
  }

  table(account: StorageAccount, name: string): TableClient {
    const key = `${account.connectionString}\n${name}`;
    let c = this.tables.get(key);
    if (!c) {
      const insecure = { allowInsecureConnection: account.tableEndpoint.startsWith('http:') };
      c = account.sas
        ? new TableClient(account.tableEndpoint, name, new AzureSASCredential(account.sas), insecure)
        : new TableClient(
            account.tableEndpoint,
            name,
            new AzureNamedKeyCredential(account.accountName, account.accountKey ?? ''),
            insecure,
          );
      this.tables.set(key, c);
    }
    return c;
  }

  /** The table client, after creating the table once per host run (outputs create missing tables, as in Azure). */
  async tableForWrite(account: StorageAccount, name: string): Promise<TableClient> {
    const c = this.table(account, name);
    const key = `${account.connectionString}\n${name}`;
    if (!this.tablesCreated.has(key)) {
      await c.createTable();
      this.tablesCreated.add(key);
    }
    return c;
  }

  queue(account: StorageAccount, name: string): QueueClient {
    const key = `${account.connectionString}\n${name}`;
    let c = this.queues.get(key);
    if (!c) {
      c = new QueueClient(account, name);
      this.queues.set(key, c);
    }
    return c;
  }

  async queueForWrite(account: StorageAccount, name: string): Promise<QueueClient> {
    const c = this.queue(account, name);
    const key = `${account.connectionString}\n${name}`;
    if (!this.queuesCreated.has(key)) {
      await c.createIfNotExists();
      this.queuesCreated.add(key);
    }
    return c;
  }
}
