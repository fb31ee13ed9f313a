/**
 * Production wiring of the intake service: config from the environment, the Service Bus publisher, the
 * Table-backed receipt store and the audit log, all process-wide singletons created on first use.
 */
import { appendAudit } from '../audit';
import { getConfig } from '../config';
import { getEventPublisher } from '../bus/publisher';
import { getRecords } from '../records';
import type { IntakeDeps } from './service';

let deps: IntakeDeps | undefined;

export function getIntakeDeps(): IntakeDeps {
  if (deps === undefined) {
    const config = getConfig();
    deps = { config, publisher: getEventPublisher(config.serviceBus), receipts: getRecords(config).receipts, audit: (entry) => appendAudit(entry) };
  }
  return deps;
}
