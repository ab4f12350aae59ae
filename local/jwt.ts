// Local JWTs. Checking: what the HTTP API's JWT authorizer does before a JWT route runs (ES256
// signature by the issuer's key, issuer, audience, expiry on the service clock) and how it hands
// the claims on. Signing: the demo sign-in's token, from the local issuer key (local/keys.ts) that
// stands in for an identity provider.
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { randomUUID } from 'node:crypto';
import { getConfig } from '../shared/config.ts';
import type { JwtKeys } from './keys.ts';

/** How long a demo sign-in's token lasts. */
const SIGN_IN_SECONDS = 8 * 3600;

/**
 * How API Gateway's JWT authorizer hands claims to the integration: every value a string, arrays
 * as `[a b]` and objects as `map[k:v]` (Go's formatting), numbers and booleans as their text.
 */
export function claimText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return `[${value.map(claimText).join(' ')}]`;
  if (value && typeof value === 'object') {
    return `map[${Object.keys(value).sort().map((k) => `${k}:${claimText((value as Record<string, unknown>)[k])}`).join(' ')}]`;
  }
  return String(value);
}

/**
 * The claims of a valid `Bearer` JWT in an Authorization header, as API Gateway passes them
 * (claimText); undefined when the header is missing or the token does not verify.
 */
export async function verifyBearer(authorization: string | undefined, keys: JwtKeys): Promise<Record<string, string> | undefined> {
  const m = authorization?.match(/^Bearer\s+(\S+)$/i);
  if (!m) return undefined;
  const { clock, jwt } = getConfig();
  try {
    const { payload } = await jwtVerify(m[1], keys.publicKey, {
      issuer: jwt.issuer,
      audience: jwt.audience,
      algorithms: ['ES256'],
      currentDate: new Date(clock.now()),
      requiredClaims: ['sub', 'exp'],
    });
    return Object.fromEntries(Object.entries(payload).map(([k, v]) => [k, claimText(v)]));
  } catch (e) {
    if (e instanceof joseErrors.JOSEError) return undefined;
    throw e;
  }
}

/** The answer of the demo sign-in: an access token for the user, as the real issuer would sign it. */
export async function signInToken(keys: JwtKeys, tenantId: string, userId: string) {
  const { clock, jwt } = getConfig();
  const iat = Math.floor(clock.now() / 1000);
  const accessToken = await new SignJWT({ tenant_id: tenantId, scope: 'tessera' })
    .setProtectedHeader({ alg: 'ES256', kid: keys.kid, typ: 'JWT' })
    .setSubject(userId)
    .setIssuer(jwt.issuer)
    .setAudience(jwt.audience)
    .setIssuedAt(iat)
    .setNotBefore(iat)
    .setExpirationTime(iat + SIGN_IN_SECONDS)
    .setJti(randomUUID())
    .sign(keys.privateKey);
  return { accessToken, tokenType: 'Bearer', expiresIn: SIGN_IN_SECONDS };
}
