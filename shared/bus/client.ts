/**
 * One ServiceBusClient per namespace per process (AMQP connections are expensive; the SDK multiplexes senders and
 * receivers over one connection). Connection string (emulator: `UseDevelopmentEmulator=true`) or identity-based
 * (fully qualified namespace + DefaultAzureCredential), matching the Functions `ServiceBusConnection` setting forms.
 */
import { DefaultAzureCredential } from '@azure/identity';
import { ServiceBusClient } from '@azure/service-bus';
import type { ServiceBusConfig } from '../config';

const clients = new Map<string, ServiceBusClient>();

export function serviceBusKey(config: ServiceBusConfig): string {
  return config.kind === 'connectionString' ? `cs:${config.connectionString}` : `ns:${config.fullyQualifiedNamespace}`;
}

export function getServiceBusClient(config: ServiceBusConfig): ServiceBusClient {
  const key = serviceBusKey(config);
  let client = clients.get(key);
  if (client === undefined) {
    client =
      config.kind === 'connectionString'
        ? new ServiceBusClient(config.connectionString)
        : new ServiceBusClient(config.fullyQualifiedNamespace, new DefaultAzureCredential());
    clients.set(key, client);
  }
  return client;
}

/** Closes every client this process opened (tests, graceful shutdown). */
export async function closeServiceBusClients(): Promise<void> {
  const all = [...clients.values()];
  clients.clear();
  await Promise.all(all.map((c) => c.close()));
}
