/**
 * Production wiring of the intake service: config from the environment, the Service Bus publisher and the
 * Table-backed receipt store, all process-wide singletons created on first use.
 */
import { getConfig } from '../config';
import { getEventPublisher } from '../bus/publisher';
import { getRecords } from '../records';
import type { IntakeDeps } from './service';

let deps: IntakeDeps | undefined;

export function getIntakeDeps(): IntakeDeps {
  if (deps === undefined) {
    const config = getConfig();
    deps = { config, publisher: getEventPublisher(config.serviceBus), receipts: getRecords(config).receipts };
  }
  return deps;
}
