// The service clock. Domain code asks it for the time instead of calling Date.now(), so the
// local runtime (/_local/time) and the tests can move time forward.

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

export class OffsetClock implements Clock {
  private offsetMs = 0;
  now(): number {
    return Date.now() + this.offsetMs;
  }
  /** How far this clock is ahead of the system clock, in ms (the local runtime hands it to its environments). */
  offset(): number {
    return this.offsetMs;
  }
  advance(seconds: number): number {
    this.offsetMs += seconds * 1000;
    return this.now();
  }
}

/** The process-wide clock. In AWS nothing moves it; locally /_local/time does. */
export const clock = new OffsetClock();

/** A clock's now as ISO-8601 UTC text: how every time is stored, sent and shown. */
export const isoNow = (c: Clock = clock): string => new Date(c.now()).toISOString();
