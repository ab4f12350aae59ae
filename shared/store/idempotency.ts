// Idempotency records (README "Retries are safe"): one item per caller and Idempotency-Key,
// written with a condition before the token write it guards and marked done after it, so a retry
// finds what the first attempt reserved (the token id and the sealed value) and converges on it.
// No plain value is ever stored: `sealed` is the same ciphertext the token item holds. Records
// expire through TTL 24 hours after the first attempt; reads hide expired ones before AWS deletes them.
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { getConfig } from '../config.ts';
import { tableNeed } from '../grants.ts';
import { store, storeCall } from './client.ts';
import { idempotencyKeys } from './keys.ts';
import { TABLE } from './table.ts';

export interface IdempotencyRecord {
  callerKey: string;
  /** What was asked: operation, token id (renew) and body, hashed. */
  fingerprint: string;
  tokenId: string;
  /** The value minted by the first attempt, sealed for tokenId (shared/crypto/vault.ts). */
  sealed: string;
  createdAt: string;
  /** Renew: the token version the first attempt read (its write expects it). */
  fromVersion: number | null;
  /** The token as the first answer showed it, JSON; null until the write it guards is done. */
  answer: string | null;
  /** Epoch seconds: the record ends 24 h after the first attempt. */
  expiresAt: number;
}

const table = () => getConfig().tableName;
const now = () => getConfig().clock.now();

/** The IAM actions each function of this module sends (shared/grants.ts). */
export const IDEMPOTENCY_STORE_NEEDS = {
  getIdempotencyRecord: [tableNeed('GetItem')],
  putIdempotencyRecord: [tableNeed('PutItem')],
  completeIdempotencyRecord: [tableNeed('UpdateItem')],
} as const;

export async function getIdempotencyRecord(callerKey: string): Promise<IdempotencyRecord | undefined> {
  const out = await storeCall(() => store().send(new GetCommand({ TableName: table(), Key: idempotencyKeys.record(callerKey), ConsistentRead: true })));
  const item = out.Item;
  if (!item || Number(item[TABLE.ttlAttribute]) * 1000 <= now()) return undefined;
  return {
    callerKey,
    fingerprint: item.fingerprint,
    tokenId: item.tokenId,
    sealed: item.sealed,
    createdAt: item.createdAt,
    fromVersion: typeof item.fromVersion === 'number' ? item.fromVersion : null,
    answer: typeof item.answer === 'string' ? item.answer : null,
    expiresAt: Number(item[TABLE.ttlAttribute]),
  };
}

/** Reserves the key; ConditionFailed when a live record holds it (an expired one is replaced). */
export async function putIdempotencyRecord(r: IdempotencyRecord): Promise<void> {
  await storeCall(() =>
    store().send(
      new PutCommand({
        TableName: table(),
        Item: {
          ...idempotencyKeys.record(r.callerKey),
          type: 'idempotency',
          fingerprint: r.fingerprint,
          tokenId: r.tokenId,
          sealed: r.sealed,
          createdAt: r.createdAt,
          ...(r.fromVersion === null ? {} : { fromVersion: r.fromVersion }),
          [TABLE.ttlAttribute]: r.expiresAt,
        },
        ConditionExpression: 'attribute_not_exists(pk) OR #ttl <= :now',
        ExpressionAttributeNames: { '#ttl': TABLE.ttlAttribute },
        ExpressionAttributeValues: { ':now': Math.floor(now() / 1000) },
      }),
    ),
  );
}

/** Marks the record done with the first answer's token (no value); only the record it reserved. */
export async function completeIdempotencyRecord(r: Pick<IdempotencyRecord, 'callerKey' | 'fingerprint' | 'tokenId'>, answer: string): Promise<void> {
  await storeCall(() =>
    store().send(
      new UpdateCommand({
        TableName: table(),
        Key: idempotencyKeys.record(r.callerKey),
        UpdateExpression: 'SET answer = :answer',
        ConditionExpression: 'fingerprint = :fingerprint AND tokenId = :tokenId AND attribute_not_exists(answer)',
        ExpressionAttributeValues: { ':answer': answer, ':fingerprint': r.fingerprint, ':tokenId': r.tokenId },
      }),
    ),
  );
}
