// A container's view of the revocation feed (shared/store/revocations.ts): at most one Query a
// second on the service clock, whatever the traffic; what it finds is handed to the cache to drop,
// and each id is "held" for a few seconds after its entry, because the entry is written before
// the change it announces: while held, acceptances of that id are not cached and are read
// strongly consistent, so the read that follows the drop sees the change. Each read goes back to
// the previous one, however long ago, as long as anything cached since then can still be fresh;
// after a longer silence the caches are forgotten instead (nothing is missed either way).
import type { Revocation, RevokedKind } from '../store/reads.ts';

/** How often a warm container reads the feed (service-clock ms). */
export const POLL_INTERVAL_MS = 1000;
/** How long after its entry an id stays uncached: the announced change lands within this. */
export const HOLD_MS = 10_000;
/** Each poll re-reads this far back, for entries whose write was still in flight last time. */
const OVERLAP_MS = 5000;

export class RevocationWatch {
  private lastPoll = -Infinity;
  private polling: Promise<void> | undefined;
  private readonly held = new Map<string, number>();

  constructor(
    private readonly read: (sinceMs: number) => Promise<Revocation[]>,
    private readonly drop: (entries: Revocation[]) => void,
    /** Forgets everything cached: after a silence longer than `windowMs`, instead of reading it all. */
    private readonly forget: () => void,
    /** The longest anything stays cached (service-clock ms). */
    private readonly windowMs: () => number,
  ) {}

  /** Reads the feed if a second has passed since the last read; resolves once it is applied. */
  sync(nowMs: number): Promise<void> | undefined {
    if (this.polling) return this.polling;
    if (nowMs - this.lastPoll < POLL_INTERVAL_MS) return undefined;
    // Back to the previous read while what was cached after it may be fresh (a container idle for
    // longer than the hold but less than the window must still see what it missed).
    const resume = nowMs - this.lastPoll <= Math.max(this.windowMs(), HOLD_MS - OVERLAP_MS);
    const since = resume ? this.lastPoll - OVERLAP_MS : nowMs - HOLD_MS;
    this.polling = this.read(since)
      .then((entries) => {
        if (!resume && this.lastPoll !== -Infinity) this.forget();
        this.lastPoll = nowMs;
        for (const [key, until] of this.held) if (until <= nowMs) this.held.delete(key);
        for (const e of entries) this.held.set(`${e.kind}:${e.id}`, Math.max(this.held.get(`${e.kind}:${e.id}`) ?? 0, e.atMs + HOLD_MS));
        if (entries.length > 0) this.drop(entries);
      })
      .finally(() => {
        this.polling = undefined;
      });
    return this.polling;
  }

  /** Whether an acceptance of this id must be neither cached nor read eventually consistent. */
  isHeld(kind: RevokedKind, id: string | undefined, nowMs: number): boolean {
    return id !== undefined && (this.held.get(`${kind}:${id}`) ?? 0) > nowMs;
  }

  reset(): void {
    this.lastPoll = -Infinity;
    this.held.clear();
  }
}
