// The local event bus: matches an event against the same rule pattern CDK deploys and calls the
// same handler. What the handler throws goes to a local dead-letter list, as Lambda's async
// retries would send it to the SQS dead-letter queue. Tessera's own domain events are kept for
// GET /_local/events.
import { randomUUID } from 'node:crypto';
import type { EventBridgeEvent } from 'aws-lambda';
import { getConfig } from '../shared/config.ts';
import type { DomainEvent } from '../shared/events/publish.ts';
import { matches, userEventPattern } from '../shared/events/rules.ts';
import { lambdaContext } from './lambda.ts';

type UserEventsHandler = (event: EventBridgeEvent<string, unknown>, context?: unknown) => Promise<unknown>;

export interface DeadLetter {
  event: EventBridgeEvent<string, unknown>;
  error: string;
  at: string;
}

export class LocalBus {
  readonly published: (DomainEvent & { source: string; time: string; id: string })[] = [];
  readonly deadLetters: DeadLetter[] = [];
  private static readonly KEEP = 5000;

  constructor(private readonly userEvents: UserEventsHandler) {}

  /** Delivers an identity-system event; returns whether the rule matched and the handler's result. */
  async deliver(detailType: string, detail: unknown, source = getConfig().identitySource) {
    const { clock, region } = getConfig();
    const event: EventBridgeEvent<string, unknown> = {
      version: '0',
      id: randomUUID(),
      'detail-type': detailType,
      source,
      account: '000000000000',
      time: new Date(clock.now()).toISOString(),
      region,
      resources: [],
      detail,
    };
    if (!matches(userEventPattern(getConfig().identitySource), event as unknown as Record<string, unknown>)) {
      return { matched: false as const };
    }
    try {
      return { matched: true as const, result: await this.userEvents(event, lambdaContext('user-events')) };
    } catch (error) {
      this.deadLetters.push({ event, error: (error as Error).message, at: event.time });
      throw error;
    }
  }

  /** The sink for Tessera's own domain events (setEventSink). */
  readonly sink = async (events: DomainEvent[]) => {
    const { clock, eventSource } = getConfig();
    for (const e of events) this.published.push({ ...e, source: eventSource, time: new Date(clock.now()).toISOString(), id: randomUUID() });
    if (this.published.length > LocalBus.KEEP) this.published.splice(0, this.published.length - LocalBus.KEEP);
  };
}
