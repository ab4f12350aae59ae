// The revocation feed: an append-only list of ids whose acceptance ended (a token disabled,
// renewed, deleted or narrowed; an owner disabled, switched to SSO, deleted or narrowed), kept
// briefly through TTL. Each warm authorizer container reads what is new at most once a second and
// drops those ids from its cache (shared/domain/verify.ts), so a change is refused everywhere
// within about a second, while cached acceptances read nothing else. The feed is read in
// shared/store/reads.ts (readRevocationsSince), by whichever client the reader uses.
//
// An entry is written BEFORE the change it announces: a container that reads it in between holds
// the id uncached (and reads it strongly consistent) until the change is surely visible, and an
// entry whose change then fails costs a few uncached reads and nothing else.
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { getConfig } from '../config.ts';
import { tableNeed } from '../grants.ts';
import { store, storeCall } from './client.ts';
import { revocationKeys } from './keys.ts';
import { TABLE } from './table.ts';

import type { RevokedKind } from './reads.ts';

export type { Revocation, RevokedKind } from './reads.ts';

/** Entries live this long; a container that was idle longer starts with an empty cache anyway. */
export const FEED_RETENTION_SECONDS = 600;

/** Appends entries, one single-item write each; the time is the service clock's. */
/** The IAM actions each function of this module sends (shared/grants.ts). */
export const REVOCATION_STORE_NEEDS = { announceRevocations: [tableNeed('PutItem')] } as const;

export async function announceRevocations(entries: { kind: RevokedKind; id: string }[]): Promise<void> {
  const { tableName, clock } = getConfig();
  const at = clock.now();
  const atIso = new Date(at).toISOString();
  await Promise.all(
    [...new Map(entries.map((e) => [`${e.kind}#${e.id}`, e])).values()].map((e) =>
      storeCall(() =>
        store().send(
          new PutCommand({
            TableName: tableName,
            Item: { ...revocationKeys.entry(atIso, e.kind, e.id), type: 'revocation', kind: e.kind, id: e.id, at, [TABLE.ttlAttribute]: Math.floor(at / 1000) + FEED_RETENTION_SECONDS },
          }),
        ),
      ),
    ),
  );
}
