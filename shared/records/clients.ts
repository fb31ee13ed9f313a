/**
 * Table and Blob service clients from config: a connection string (Azurite locally, `UseDevelopmentStorage=true`
 * or full form) or an account name with DefaultAzureCredential (managed identity in Azure).
 * One client pair per storage config per process.
 */
import { DefaultAzureCredential, type TokenCredential } from '@azure/identity';
import { TableClient, TableServiceClient } from '@azure/data-tables';
import { BlobServiceClient } from '@azure/storage-blob';
import type { StorageConfig } from '../config';

export interface StorageClients {
  tableClient(tableName: string): TableClient;
  tableService: TableServiceClient;
  blobService: BlobServiceClient;
}

let credential: TokenCredential | undefined;
const cache = new Map<string, StorageClients>();

function isInsecure(connectionString: string): boolean {
  return (
    /DefaultEndpointsProtocol=http(;|$)/i.test(connectionString) ||
    /Endpoint=http:\/\//i.test(connectionString) ||
    /UseDevelopmentStorage=true/i.test(connectionString)
  );
}

export function storageClients(config: StorageConfig): StorageClients {
  const cacheKey = config.kind === 'connectionString' ? `cs:${config.connectionString}` : `id:${config.accountName}`;
  const hit = cache.get(cacheKey);
  if (hit) return hit;
  let clients: StorageClients;
  if (config.kind === 'connectionString') {
    const cs = config.connectionString;
    const options = { allowInsecureConnection: isInsecure(cs) };
    clients = {
      tableClient: (name) => TableClient.fromConnectionString(cs, name, options),
      tableService: TableServiceClient.fromConnectionString(cs, options),
      blobService: BlobServiceClient.fromConnectionString(cs),
    };
  } else {
    credential ??= new DefaultAzureCredential();
    const cred = credential;
    const tableUrl = `https://${config.accountName}.table.core.windows.net`;
    clients = {
      tableClient: (name) => new TableClient(tableUrl, name, cred),
      tableService: new TableServiceClient(tableUrl, cred),
      blobService: new BlobServiceClient(`https://${config.accountName}.blob.core.windows.net`, cred),
    };
  }
  cache.set(cacheKey, clients);
  return clients;
}
