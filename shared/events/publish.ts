// Tessera's own domain events (rules.md §5.2), published to the service's EventBridge bus after the
// write they describe has succeeded. Publishing is best effort: a failure is logged and never
// turns a completed change into an error. Events never carry a value, a secret or a hash.
import { getConfig } from '../config.ts';
import { authorizationDefect } from '../defects.ts';
import { PUBLISH_NEED } from '../grants.ts';
import { logger } from '../log.ts';

/** What publish() needs (shared/grants.ts). */
export const PUBLISH_NEEDS = [PUBLISH_NEED] as const;

export type DomainEventType = 'TokenCreated' | 'TokenDisabled' | 'TokenRenewed' | 'TokenDeleted' | 'TokenExpiringSoon' | 'TokenLeaked';

export interface DomainEvent {
  detailType: DomainEventType;
  detail: {
    tenantId: string;
    tokenId: string;
    ownerId: string;
    name: string;
    visibility: 'private' | 'shared';
    at: string;
    actorId?: string;
    reason?: string | null;
    expiresAt?: string | null;
    graceUntil?: string | null;
    /** TokenLeaked: where the value was found, and who found it. */
    url?: string;
    source?: string;
  };
}

/** What a token event says about its token. */
interface TokenFacts {
  id: string;
  tenantId: string;
  ownerId: string;
  name: string;
  visibility: 'private' | 'shared';
}

/** A token event: the token's facts, when it happened, and what this kind of event adds. */
export const tokenEvent = (detailType: DomainEventType, t: TokenFacts, at: string, extra: Partial<DomainEvent['detail']> = {}): DomainEvent => ({
  detailType,
  detail: { tenantId: t.tenantId, tokenId: t.id, ownerId: t.ownerId, name: t.name, visibility: t.visibility, at, ...extra },
});

type EventBridge = InstanceType<typeof import('@aws-sdk/client-eventbridge').EventBridgeClient>;
let client: EventBridge | undefined;

/** Drops the client (the local runtime, when it moves the bus). */
export function resetPublisher(): void {
  client?.destroy();
  client = undefined;
}

// The SDK finds the bus's endpoint as it finds every endpoint: AWS in Lambda, the local bus
// (AWS_ENDPOINT_URL_EVENTBRIDGE) in the local runtime.
async function putEvents(events: DomainEvent[]): Promise<void> {
  const config = getConfig();
  if (!config.eventBus) return;
  const { EventBridgeClient, PutEventsCommand } = await import('@aws-sdk/client-eventbridge');
  client ??= new EventBridgeClient({
    region: config.region,
    maxAttempts: config.sdk.maxAttempts,
    requestHandler: { connectionTimeout: config.sdk.connectTimeoutMs, requestTimeout: config.sdk.requestTimeoutMs, throwOnRequestTimeout: true },
  });
  for (let i = 0; i < events.length; i += 10) {
    const out = await client.send(
      new PutEventsCommand({
        Entries: events.slice(i, i + 10).map((e) => ({
          EventBusName: config.eventBus,
          Source: config.eventSource,
          DetailType: e.detailType,
          Detail: JSON.stringify(e.detail),
        })),
      }),
    );
    if (out.FailedEntryCount) logger.warn('some domain events were not published', { failed: out.FailedEntryCount });
  }
}

export async function publish(...events: DomainEvent[]): Promise<void> {
  if (events.length === 0) return;
  try {
    await putEvents(events);
  } catch (error) {
    // The change has happened either way; a refusal is still a deployment defect, logged as one.
    if (authorizationDefect(error, 'events')) return;
    logger.warn('domain events not published', { error: error as Error, types: events.map((e) => e.detailType) });
  }
}
