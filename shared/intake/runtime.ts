/**
 * Production wiring of the intake service: config from the environment, the Service Bus publisher and the
 * Table-backed receipt store from the composition root (shared/services.ts), created on first use.
 */
import { appendAudit } from '../audit';
import { eventKeySettings } from '../auth/event-key-settings';
import { getConfig } from '../config';
import { services } from '../services';
import type { IntakeDeps } from './service';

let deps: IntakeDeps | undefined;

export function getIntakeDeps(): IntakeDeps {
  if (deps === undefined) {
    const config = getConfig();
    deps = {
      config,
      publisher: services().publisher(),
      receipts: services().records().receipts,
      audit: (entry) => appendAudit(entry),
      eventKeys: () => eventKeySettings(),
    };
  }
  return deps;
}
