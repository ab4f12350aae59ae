// The local event bus. It serves EventBridge's PutEvents over HTTP on 127.0.0.1 (the functions'
// SDK client reaches it through AWS_ENDPOINT_URL_EVENTBRIDGE, signed with their own credentials),
// matches each event against the same rule pattern CDK deploys (shared/events/rules.ts) and
// delivers a match to the target function asynchronously, as EventBridge does. What the target
// throws goes to a local dead-letter list, as Lambda's async retries would send it to the SQS
// dead-letter queue. Tessera's own domain events are kept for GET /_local/events.
//
// Interceptors (local/store-proxy.ts's API: bus.use((call, next) => ...)) see every PutEvents
// call with its body and the caller's access key id before the bus takes it.
import { randomUUID } from 'node:crypto';
import type { EventBridgeEvent } from 'aws-lambda';
import { getConfig } from '../shared/config.ts';
import type { DomainEvent, DomainEventType } from '../shared/events/publish.ts';
import { matches, userEventPattern } from '../shared/events/rules.ts';
import { lambdaContext } from './lambda.ts';
import { isoNow } from '../shared/clock.ts';
import { awsJsonError, jsonReply, startAwsJsonEndpoint, type AwsJsonEndpoint, type Interceptor } from './store-proxy.ts';

type UserEventsHandler = (event: EventBridgeEvent<string, unknown>, context?: unknown) => Promise<unknown>;

export interface DeadLetter {
  event: EventBridgeEvent<string, unknown>;
  error: string;
  at: string;
}

/** The bus name the local functions are given (TESSERA_EVENT_BUS). */
export const LOCAL_BUS_NAME = 'tessera-local';

const MAX_ENTRIES = 10;
const MAX_BYTES = 256 * 1024;

interface PutEventsEntry {
  Source?: string;
  DetailType?: string;
  Detail?: string;
  EventBusName?: string;
  Resources?: string[];
  Time?: number | string;
}

export class LocalBus {
  readonly published: (DomainEvent & { source: string; time: string; id: string })[] = [];
  readonly deadLetters: DeadLetter[] = [];
  private static readonly KEEP = 5000;
  private server: AwsJsonEndpoint | undefined;
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(private readonly userEvents: UserEventsHandler) {}

  /** Starts the PutEvents endpoint; returns its URL. */
  async listen(): Promise<string> {
    this.server ??= await startAwsJsonEndpoint({
      terminal: async (call) => {
        if (call.action !== 'PutEvents') return awsJsonError(400, 'UnknownOperationException', `The local bus serves PutEvents, not ${call.action}.`);
        return this.putEvents(call.body as { Entries?: PutEventsEntry[] });
      },
    });
    return this.server.endpoint;
  }

  get endpoint(): string {
    if (!this.server) throw new Error('the local bus is not listening');
    return this.server.endpoint;
  }

  /** Adds an interceptor in front of the bus; returns its removal. */
  use(interceptor: Interceptor): () => void {
    if (!this.server) throw new Error('the local bus is not listening');
    return this.server.use(interceptor);
  }

  private envelope(detailType: string, detail: unknown, source: string, resources: string[] = []): EventBridgeEvent<string, unknown> {
    const { clock, region } = getConfig();
    return {
      version: '0',
      id: randomUUID(),
      'detail-type': detailType,
      source,
      account: '000000000000',
      time: isoNow(clock),
      region,
      resources,
      detail,
    };
  }

  private putEvents(body: { Entries?: PutEventsEntry[] }) {
    const entries = body.Entries;
    if (!Array.isArray(entries) || entries.length === 0 || entries.length > MAX_ENTRIES) {
      return awsJsonError(400, 'ValidationException', `1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length between 1 and ${MAX_ENTRIES}`);
    }
    if (Buffer.byteLength(JSON.stringify(entries)) > MAX_BYTES) {
      return awsJsonError(400, 'ValidationException', 'Total size of the entries in the request is over the limit.');
    }
    const { eventSource } = getConfig();
    const results = entries.map((entry) => {
      if (entry.EventBusName !== undefined && entry.EventBusName !== LOCAL_BUS_NAME && !entry.EventBusName.endsWith(`:event-bus/${LOCAL_BUS_NAME}`)) {
        return { ErrorCode: 'ResourceNotFoundException', ErrorMessage: `Event bus ${entry.EventBusName} does not exist.` };
      }
      if (!entry.Source || !entry.DetailType || entry.Detail === undefined) {
        return { ErrorCode: 'InvalidArgument', ErrorMessage: 'Parameters Source, DetailType and Detail are required.' };
      }
      let detail: unknown;
      try {
        detail = JSON.parse(entry.Detail);
      } catch {
        return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
      }
      if (detail === null || typeof detail !== 'object' || Array.isArray(detail)) {
        return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
      }
      const event = this.envelope(entry.DetailType, detail, entry.Source, entry.Resources);
      if (entry.Source === eventSource) this.record(event);
      this.route(event);
      return { EventId: event.id };
    });
    return jsonReply(200, { FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length, Entries: results });
  }

  private record(event: EventBridgeEvent<string, unknown>) {
    this.published.push({
      detailType: event['detail-type'] as DomainEventType,
      detail: event.detail as DomainEvent['detail'],
      source: event.source,
      time: event.time,
      id: event.id,
    });
    if (this.published.length > LocalBus.KEEP) this.published.splice(0, this.published.length - LocalBus.KEEP);
  }

  /** The rules: an event that matches the user-events rule goes to its function, asynchronously. */
  private route(event: EventBridgeEvent<string, unknown>) {
    if (!matches(userEventPattern(getConfig().identitySource), event as unknown as Record<string, unknown>)) return;
    // A failure is already on the dead-letter list (invoke).
    const delivery: Promise<void> = this.invoke(event)
      .then(() => undefined, () => undefined)
      .finally(() => this.inFlight.delete(delivery));
    this.inFlight.add(delivery);
  }

  private async invoke(event: EventBridgeEvent<string, unknown>) {
    try {
      return await this.userEvents(event, lambdaContext('userEvents'));
    } catch (error) {
      this.deadLetters.push({ event, error: (error as Error).message, at: event.time });
      throw error;
    }
  }

  /**
   * POST /_local/events: delivers an identity-system event through the rule and waits for the
   * target's answer; returns whether the rule matched and the handler's result.
   */
  async deliver(detailType: string, detail: unknown, source = getConfig().identitySource) {
    const event = this.envelope(detailType, detail, source);
    if (!matches(userEventPattern(getConfig().identitySource), event as unknown as Record<string, unknown>)) {
      return { matched: false as const };
    }
    return { matched: true as const, result: await this.invoke(event) };
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.inFlight);
    await this.server?.close();
    this.server = undefined;
  }
}
