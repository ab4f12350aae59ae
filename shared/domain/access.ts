// Visibility and privacy (rules.md §1.7, §1.8, §1.12): who may see, manage, reveal and renew.
// Every token route asks here; nothing else decides.
import { NotFoundError, TokenPrivateError } from '../errors.ts';
import type { TokenRecord } from '../store/tokens.ts';
import type { Actor } from './actor.ts';

/** Tenants are walls; non-administrators see only their own tokens. */
export const canSee = (actor: Actor, token: TokenRecord): boolean =>
  token.tenantId === actor.tenantId && (token.ownerId === actor.userId || actor.isAdmin);

/** Reading the value (and renewing, which returns it): the owner, or any admin for a shared token. */
export const canReveal = (actor: Actor, token: TokenRecord): boolean =>
  canSee(actor, token) && (token.ownerId === actor.userId || (token.visibility === 'shared' && actor.isAdmin));

/** A token the actor may not see does not exist for them: 404, never 403. */
export function assertVisible(actor: Actor, token: TokenRecord | undefined): asserts token is TokenRecord {
  if (!token || !canSee(actor, token)) throw new NotFoundError();
}

export function assertRevealable(actor: Actor, token: TokenRecord | undefined): asserts token is TokenRecord {
  assertVisible(actor, token);
  if (!canReveal(actor, token)) throw new TokenPrivateError();
}
