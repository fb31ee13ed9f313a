/**
 * The built-in extensions, in start order. Storage (Azurite) starts first because durable state and app code may
 * need it; HTTP last so every system route is registered before app routes take the catch-all.
 */
import { createAzuriteExtension } from '../azurite/extension';
import { createDurableExtension } from '../durable/extension';
import { createHttpExtension } from '../http/extension';
import { createServiceBusExtension } from '../servicebus/extension';
import { createStorageExtension } from '../storage/extension';
import { createTimerExtension } from '../timer/extension';
import { loadAppFunctionsLibrary } from './loader';
import type { HostOptions } from './host';
import type { HostExtension } from './types';

export function defaultExtensions(options: HostOptions): HostExtension[] {
  const lib = () => loadAppFunctionsLibrary(options.appDir);
  return [
    createAzuriteExtension({
      enabled: options.azurite !== false,
      ...(options.storageSettings ? { storageSettings: options.storageSettings } : {}),
    }),
    createDurableExtension(),
    createServiceBusExtension(),
    createStorageExtension(),
    createTimerExtension(),
    createHttpExtension(lib),
  ];
}
