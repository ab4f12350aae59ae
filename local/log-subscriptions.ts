// The local stand-in for CloudWatch Logs subscription filters: a function's log lines that match
// a filter (the same JsonFilter object CDK deploys, shared/log-filter.ts) are batched and handed
// to the destination function in CloudWatch Logs' own envelope (shared/cloudwatch-logs.ts).
// Like CloudWatch, it delivers a little later than the line was written, in batches, and retries
// a failed delivery; the log events carry the service-clock time at which the line was written.
import { randomUUID } from 'node:crypto';
import { encodeLogsEvent, type CloudWatchLogsLogEvent } from '../shared/cloudwatch-logs.ts';
import { clock } from '../shared/clock.ts';
import { matchesFilter, type JsonFilter } from '../shared/log-filter.ts';
import { logger } from '../shared/log.ts';

export interface Subscription {
  /** The function whose log group is subscribed, e.g. 'authorizer'. */
  source: string;
  filter: JsonFilter;
  deliver: (event: unknown) => Promise<unknown>;
}

/** CloudWatch Logs' limits on one delivery. */
const MAX_EVENTS = 10_000;
const MAX_BYTES = 1_048_576;
const MAX_ATTEMPTS = 3;

interface Pending {
  sub: Subscription;
  events: CloudWatchLogsLogEvent[];
  bytes: number;
}

export class LogSubscriptions {
  private readonly subs: Subscription[] = [];
  private readonly pending = new Map<Subscription, Pending>();
  private readonly stream = `${new Date(clock.now()).toISOString().slice(0, 10).replace(/-/g, '/')}/[$LATEST]${randomUUID().replace(/-/g, '')}`;
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private sequence = 0;

  /** `delayMs`: real time a line waits for others to join its batch. */
  constructor(private readonly delayMs = 250) {}

  add(sub: Subscription): void {
    this.subs.push(sub);
  }

  /** One line a function wrote to its log. */
  line(source: string, message: string): void {
    for (const sub of this.subs) {
      if (sub.source !== source || !matchesFilter(sub.filter, message)) continue;
      let p = this.pending.get(sub);
      if (!p) this.pending.set(sub, (p = { sub, events: [], bytes: 0 }));
      const timestamp = clock.now();
      p.events.push({ id: `${timestamp}${String(++this.sequence).padStart(20, '0')}`.slice(0, 56), timestamp, message });
      p.bytes += message.length + 26;
      if (p.events.length >= MAX_EVENTS || p.bytes >= MAX_BYTES) this.flushLater(0);
      else this.flushLater(this.delayMs);
    }
  }

  /** As CloudWatch delivers: a moment later, in the background (deliver() logs its own failures). */
  private flushLater(delayMs: number): void {
    if (delayMs === 0 && this.timer) clearTimeout(this.timer);
    if (delayMs === 0) this.timer = undefined;
    this.timer ??= setTimeout(() => {
      this.flush().catch((error) => logger.error('log subscription flush failed', { error: error as Error }));
    }, delayMs).unref();
  }

  /** Delivers everything written so far; resolves when the destinations have handled it. */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const batches = [...this.pending.values()];
    this.pending.clear();
    this.flushing = this.flushing.then(() => Promise.all(batches.map((b) => this.deliver(b))).then(() => undefined));
    return this.flushing;
  }

  private async deliver({ sub, events }: Pending): Promise<void> {
    const event = encodeLogsEvent({
      messageType: 'DATA_MESSAGE',
      owner: '000000000000',
      logGroup: `/aws/lambda/${sub.source}`,
      logStream: this.stream,
      subscriptionFilters: [sub.filter.name],
      logEvents: events,
    });
    for (let attempt = 1; ; attempt++) {
      try {
        await sub.deliver(event);
        return;
      } catch (error) {
        if (attempt >= MAX_ATTEMPTS) {
          logger.error('log subscription delivery failed; the batch is dropped', { source: sub.source, events: events.length, error: error as Error });
          return;
        }
      }
    }
  }
}
