// Retries are safe (README "Retries are safe"): a create or renew sent again with the same
// Idempotency-Key by the same caller, with the same request, within 24 hours, returns the first
// answer; with another request it is a 409. The record is reserved (a conditional PutItem) before
// the token write and names the token id and the sealed value that write uses, so a retry after
// any crash or timeout writes the same item with the same value, and conditional writes make the
// two attempts converge on one token. The value is never stored in plain: a replay unseals it.
import { createHash } from 'node:crypto';
import { open, VAULT_NEEDS } from '../crypto/vault.ts';
import { needs } from '../grants.ts';
import { ConflictError } from '../errors.ts';
import type { TokenJsonShape } from '../http/schemas.ts';
import { ConditionFailed } from '../store/client.ts';
import {
  completeIdempotencyRecord,
  getIdempotencyRecord,
  putIdempotencyRecord,
  type IdempotencyRecord,
  IDEMPOTENCY_STORE_NEEDS,
} from '../store/idempotency.ts';
import { logger } from '../log.ts';
import type { Actor } from './actor.ts';

const I = IDEMPOTENCY_STORE_NEEDS;

/** The store and key calls of each step (shared/grants.ts): a replay unseals the first value. */
export const IDEMPOTENCY_OPERATION_NEEDS = {
  begin: needs(I.getIdempotencyRecord, VAULT_NEEDS.open),
  reserve: needs(I.putIdempotencyRecord, I.getIdempotencyRecord, VAULT_NEEDS.open),
  complete: I.completeIdempotencyRecord,
} as const;

export const IDEMPOTENCY_WINDOW_MS = 24 * 3600_000;

export type Answer = { token: TokenJsonShape; value: string };

export interface Claim {
  callerKey: string;
  fingerprint: string;
}

/** Where a request with an Idempotency-Key stands. */
export type Standing =
  /** The key is free: reserve it with reserve() before writing. */
  | { kind: 'fresh'; claim: Claim }
  /** An earlier attempt reserved it (and may or may not have written): finish with its record. */
  | { kind: 'pending'; claim: Claim; record: IdempotencyRecord; value: string }
  /** An earlier attempt finished: its answer, value unsealed again. */
  | { kind: 'replay'; answer: Answer };

/** JSON with sorted keys, so the same request always hashes the same. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    return `{${entries.sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

const sha256 = (...parts: string[]) => createHash('sha256').update(parts.join('\u0000')).digest('base64url');

/** Another caller's key is another record: the caller is part of the record's key. */
export function claimOf(actor: Actor, key: string, operation: string, subject: string, body: unknown): Claim {
  return {
    callerKey: sha256('idempotency', actor.tenantId, actor.userId, key),
    fingerprint: sha256(operation, subject, canonical(body)),
  };
}

async function standingOf(claim: Claim): Promise<Standing> {
  const record = await getIdempotencyRecord(claim.callerKey);
  if (!record) return { kind: 'fresh', claim };
  if (record.fingerprint !== claim.fingerprint) {
    throw new ConflictError('This Idempotency-Key was already used with a different request; use a new key for a new request.');
  }
  const value = await open(record.sealed, record.tokenId);
  if (record.answer) return { kind: 'replay', answer: { token: JSON.parse(record.answer) as TokenJsonShape, value } };
  return { kind: 'pending', claim, record, value };
}

export async function begin(actor: Actor, key: string, operation: string, subject: string, body: unknown): Promise<Standing> {
  return standingOf(claimOf(actor, key, operation, subject, body));
}

/**
 * Reserves the key for a first attempt. When another attempt reserved it first (a concurrent
 * twin, or this attempt's own write retried by the SDK after a lost reply), returns that
 * attempt's standing instead, which the caller then finishes.
 */
export async function reserve(claim: Claim, record: Omit<IdempotencyRecord, 'callerKey' | 'fingerprint' | 'answer' | 'expiresAt'>, nowMs: number): Promise<Standing | undefined> {
  try {
    await putIdempotencyRecord({
      ...record,
      callerKey: claim.callerKey,
      fingerprint: claim.fingerprint,
      answer: null,
      expiresAt: Math.floor((nowMs + IDEMPOTENCY_WINDOW_MS) / 1000),
    });
    return undefined;
  } catch (e) {
    if (!(e instanceof ConditionFailed)) throw e;
    const standing = await standingOf(claim);
    if (standing.kind === 'fresh') throw new ConflictError('This Idempotency-Key is in use by a concurrent request; retry.');
    return standing;
  }
}

/** Records the first answer (without its value). Best effort: a pending record also converges. */
export async function complete(claim: Claim, tokenId: string, answer: Answer): Promise<void> {
  try {
    await completeIdempotencyRecord({ callerKey: claim.callerKey, fingerprint: claim.fingerprint, tokenId }, JSON.stringify(answer.token));
  } catch (error) {
    if (error instanceof ConditionFailed) return; // a concurrent twin recorded the same answer first
    logger.warn('idempotency record not completed; a retry will converge on the same token', { tokenId, error: error as Error });
  }
}
