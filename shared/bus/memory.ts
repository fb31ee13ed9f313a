/**
 * In-memory EventPublisher for unit tests and benches: records the Service Bus messages it would send (through the
 * real mapping) and can be told to fail, to exercise the 503 path.
 */
import { toServiceBusMessage, type OutgoingBusMessage, type StagecraftEvent } from '../events';
import type { EventPublisher } from '../intake/ports';

export class MemoryEventPublisher implements EventPublisher {
  readonly events: StagecraftEvent[] = [];
  readonly messages: OutgoingBusMessage[] = [];
  /** Number of upcoming publish calls that throw. */
  failNext = 0;

  async publish(events: readonly StagecraftEvent[]): Promise<void> {
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('publish failed (injected)');
    }
    for (const e of events) {
      this.messages.push(toServiceBusMessage(e));
      this.events.push(e);
    }
  }
}
