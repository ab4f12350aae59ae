// The cost of a refusal, by reason, side by side (README "Cheap refusals"): an unknown id, a
// wrong secret, a disabled and an expired token each cost one eventually consistent read, so their
// latencies should lie within 25 % of each other and not tell an attacker which one it was. A
// forged value (a tag this deployment did not make) and a malformed one cost no read at all.
import { randomBytes } from 'node:crypto';
import { getConfig } from '../shared/config.ts';
import { macKeys } from '../shared/crypto/mac.ts';
import { newId } from '../shared/ids.ts';
import { getToken, toItem, type TokenRecord } from '../shared/store/tokens.ts';
import { mintValue } from '../shared/token-value.ts';
import { authorizerEvent } from './events.ts';
import { percentile, summarize, type Summary } from './harness.ts';
import { batchWrite, type SeedToken } from './seed.ts';

export const REFUSALS = ['unknown id', 'wrong secret', 'disabled', 'expired', 'forged tag', 'malformed'] as const;
export type Refusal = (typeof REFUSALS)[number];
/** The four that a store read decides; their medians are compared. */
export const READ_REFUSALS: readonly Refusal[] = ['unknown id', 'wrong secret', 'disabled', 'expired'];

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Handler = (event: any) => Promise<{ isAuthorized?: boolean }>;

/**
 * Values to refuse, `perKind` of each kind, from seeded tokens no later figure needs: some are
 * written disabled or expired, the others lend their ids to values with another secret. Every
 * value is minted an hour back, so no refusal is re-read (that happens only seconds after minting).
 */
export async function refusalValues(fresh: SeedToken[], perKind: number): Promise<Record<Refusal, string[]>> {
  if (fresh.length < perKind * 3) throw new Error('too few seeded tokens for the refusal figures');
  const [key] = await macKeys('value-tag');
  const nowMs = getConfig().clock.now();
  const longAgo = { key, nowMs: nowMs - 3600_000 };
  const stored = (t: SeedToken) => getToken(t.id, true).then((r) => r!);
  const disabled = fresh.slice(0, perKind);
  const expired = fresh.slice(perKind, perKind * 2);
  const others = fresh.slice(perKind * 2, perKind * 3);
  const at = new Date(nowMs - 60_000).toISOString();
  const changed: TokenRecord[] = [];
  for (const t of disabled) changed.push({ ...(await stored(t)), disabledAt: at, disabledReason: 'manual' });
  for (const t of expired) changed.push({ ...(await stored(t)), expiresAt: at });
  await batchWrite(changed.map(toItem));
  const owner = (await stored(others[0])).tenantId;
  return {
    'unknown id': others.map((t) => mintValue(newId('token'), owner, t.userId, longAgo)),
    'wrong secret': others.map((t) => mintValue(t.id, owner, t.userId, longAgo)),
    disabled: disabled.map((t) => t.value),
    expired: expired.map((t) => t.value),
    'forged tag': others.map((t) => mintValue(t.id, owner, t.userId, { key: randomBytes(32), nowMs })),
    malformed: others.map((t) => t.value.slice(0, -1) + (t.value.endsWith('a') ? 'b' : 'a')),
  };
}

/**
 * Each round verifies `values[kind]` one at a time (concurrency 1), the kinds interleaved value by
 * value (in a rotating order), so a load spike on the machine falls on every kind alike; a kind's
 * figure per round is its median latency. Every verification must be a refusal.
 */
export async function measureRefusals(authorizer: Handler, values: Record<Refusal, string[]>, rounds: number): Promise<Record<Refusal, number[]>> {
  const medians = Object.fromEntries(REFUSALS.map((k) => [k, [] as number[]])) as Record<Refusal, number[]>;
  const perRound = Math.floor(values.disabled.length / rounds);
  for (let r = 0; r < rounds; r++) {
    const times = Object.fromEntries(REFUSALS.map((k) => [k, [] as number[]])) as Record<Refusal, number[]>;
    for (let i = 0; i < perRound; i++) {
      for (let j = 0; j < REFUSALS.length; j++) {
        const kind = REFUSALS[(i + j) % REFUSALS.length];
        const value = values[kind][r * perRound + i];
        const t0 = performance.now();
        const out = await authorizer(authorizerEvent(value));
        times[kind].push(performance.now() - t0);
        if (out.isAuthorized) throw new Error(`a ${kind} value was accepted`);
      }
    }
    for (const kind of REFUSALS) medians[kind].push(percentile(times[kind].sort((a, b) => a - b), 50));
  }
  return medians;
}

/** Per round, the slowest of the four read-decided medians over the fastest. */
export const spreadOf = (medians: Record<Refusal, number[]>): Summary =>
  summarize(medians.disabled.map((_, r) => Math.max(...READ_REFUSALS.map((k) => medians[k][r])) / Math.min(...READ_REFUSALS.map((k) => medians[k][r]))));
