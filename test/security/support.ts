// Shared by the security suite: a raw HTTP client (no URL normalisation, any bytes as body),
// hostile JWTs, the envelope oracle and the set of secrets nobody may read back.
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { request as httpRequest, Agent } from 'node:http';
import { ERROR_STATUS } from '../../shared/errors.ts';
import { sha256Hex } from '../../shared/token-value.ts';
import type { Snapshot } from '../helpers/faults.ts';

export interface RawReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  body: any;
}

const agent = new Agent({ keepAlive: true, maxSockets: 8 });

/** Sends exactly what it is given: the path is not normalised, the body may be any bytes. */
export function rawRequest(
  baseUrl: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string | Buffer,
): Promise<RawReply> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: url.hostname, port: url.port, method, path, headers: { ...headers, ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}) }, agent },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown;
          try {
            parsed = text ? JSON.parse(text) : undefined;
          } catch {
            parsed = text;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, body: parsed });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

export function closeRawAgent(): void {
  agent.destroy();
}

/** The bodies API Gateway writes itself (rules.md §3): Tessera does not run for these. */
export const GATEWAY_BODIES: Record<number, string> = {
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  413: 'Request Entity Too Large',
  500: 'Internal Server Error',
};

export type EnvelopeKind = 'tessera' | 'gateway';

/** Which envelope a 4xx/5xx answer is in, or a description of what is wrong with it. */
export function envelopeOf(status: number, body: unknown): string {
  if (body && typeof body === 'object' && 'error' in body) {
    const e = (body as { error: Record<string, unknown> }).error;
    if (Object.keys(body).length !== 1) return `extra top-level keys: ${Object.keys(body).join(',')}`;
    if (typeof e.code !== 'string' || typeof e.message !== 'string' || typeof e.requestId !== 'string' || !e.requestId) {
      return `incomplete envelope: ${JSON.stringify(body)}`;
    }
    const expected = ERROR_STATUS[e.code as keyof typeof ERROR_STATUS];
    if (expected !== status) return `code ${e.code} with status ${status}`;
    return 'tessera';
  }
  if (body && typeof body === 'object' && Object.keys(body).length === 1 && (body as { message?: unknown }).message === GATEWAY_BODIES[status]) {
    return 'gateway';
  }
  return `not an error envelope: ${status} ${JSON.stringify(body)}`;
}

/**
 * Everything that must never come back except a value to whom may see it: the given values and
 * legacy secrets, and from the table every token's hash, previous hash, sealed value and legacy
 * secret hash.
 */
export function secretsOf(snapshot: Snapshot, extra: Iterable<string> = []): Set<string> {
  const out = new Set<string>();
  for (const s of extra) {
    out.add(s);
    if (!s.startsWith('tsr_')) out.add(sha256Hex(s));
  }
  for (const item of snapshot.values()) {
    if (item.type !== 'token') continue;
    for (const k of ['hash', 'prevHash', 'sealed', 'legacySecretSha256']) if (typeof item[k] === 'string') out.add(item[k] as string);
    // Each part of a sealed value (iv, ciphertext) is secret material too.
    if (typeof item.sealed === 'string') for (const part of (item.sealed as string).split('.').slice(3)) if (part.length >= 16) out.add(part);
  }
  return out;
}

/** Values and secrets found in `text`; any tsr_ value counts, known or not. */
export function leaksIn(text: string, secrets: Set<string>): string[] {
  const found = [...secrets].filter((s) => text.includes(s)).map((s) => `${s.slice(0, 8)}…`);
  const values = text.match(/tsr_[0-9A-Za-z]{20,}/g) ?? [];
  return [...found, ...values.map((v) => `value ${v.slice(0, 8)}…`)];
}

// ---- hostile JWTs ----------------------------------------------------------------------------

const b64 = (x: unknown) => Buffer.from(typeof x === 'string' ? x : JSON.stringify(x)).toString('base64url');

export function unsignedJwt(claims: Record<string, unknown>, header: Record<string, unknown> = { alg: 'none', typ: 'JWT' }): string {
  return `${b64(header)}.${b64(claims)}.`;
}

/** A JWT signed by a key the issuer does not publish, with otherwise perfect claims. */
export async function foreignJwt(claims: Record<string, unknown>, kid = 'attacker'): Promise<string> {
  const { privateKey } = await generateKeyPair('ES256');
  return new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid, typ: 'JWT' }).sign(privateKey);
}

/** HS256 keyed with the issuer's public JWK: the classic algorithm-confusion forgery. */
export async function confusedJwt(claims: Record<string, unknown>, publicJwk: Record<string, unknown>): Promise<string> {
  const secret = new TextEncoder().encode(JSON.stringify(publicJwk));
  return new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(secret);
}

/** Flips one character of the payload of a valid JWT. */
export function tamperedJwt(jwt: string): string {
  const [h, p, s] = jwt.split('.');
  const claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
  claims.sub = 'alice';
  return `${h}.${b64(claims)}.${s}`;
}

export { exportJWK };
