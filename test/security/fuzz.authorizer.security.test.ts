// Property-based fuzzing of the token parser and the authorizer (rules.md §4):
// - parseValue never throws and accepts only well-formed, checksummed values;
// - the authorizer handler, called directly with arbitrary headers and arbitrary events of the
//   three kinds (and with junk), never allows without a valid credential and never fails except
//   with the REST authorizer's "Unauthorized";
// - through /example/*, any headers give 200, or the gateway's own 401/403; never a 5xx; a
//   refusal changes nothing; no answer carries a value or a secret.
import fc from 'fast-check';
import { randomBytes, randomUUID } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeBase62 } from '../../shared/base62.ts';
import { legacyTokenId, mintValue, parseValue, sha256Hex, TOKEN_VALUE_LENGTH } from '../../shared/token-value.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { diffSnapshots, snapshotTable } from '../helpers/faults.ts';
import { closeRawAgent, envelopeOf, leaksIn, rawRequest, secretsOf } from './support.ts';

const RUNS = Number(process.env.FUZZ_RUNS ?? 150);
const SEED = process.env.FUZZ_SEED === 'random' ? Date.now() : Number(process.env.FUZZ_SEED ?? 4004);
const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** The parser checks shape and checksum; the tag needs the deployment's keys, so any key will do here. */
const tagging = { key: randomBytes(32), nowMs: Date.now() };

/** The documented checksum (rules.md §4, shared/token-value.ts header), computed independently. */
function wellFormed(value: string): boolean {
  if (!/^tsr_(?:[0-9A-Za-z]{87}|[0-9A-Za-z]{109})$/.test(value)) return false;
  const head = value.slice(0, -6);
  const crc = crc32(head) >>> 0;
  return encodeBase62(new Uint8Array([crc >>> 24, (crc >>> 16) & 0xff, (crc >>> 8) & 0xff, crc & 0xff]), 6) === value.slice(-6);
}

describe('the token parser', () => {
  it('never throws, whatever it is given', () => {
    fc.assert(
      fc.property(fc.anything({ withBigInt: true, withTypedArray: true, withSparseArray: true, withNullPrototype: true }), (x) => {
        expect(() => parseValue(x)).not.toThrow();
        expect(parseValue(x)).toBeUndefined();
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });

  it('accepts a string only if it is a well-formed, checksummed value', () => {
    const lookalike = fc.oneof(
      fc.string({ unit: fc.constantFrom(...ALPHABET), minLength: 87, maxLength: 87 }),
      fc.string({ unit: fc.constantFrom(...ALPHABET), minLength: 109, maxLength: 109 }),
    ).map((s) => `tsr_${s}`);
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 120 }), lookalike, fc.string({ maxLength: 95 }).map((s) => `tsr_${s}`)), (s) => {
        const parsed = parseValue(s);
        if (parsed) expect(wellFormed(s)).toBe(true);
      }),
      { numRuns: RUNS * 2, seed: SEED },
    );
  });

  it('accepts every minted value with its token id, and refuses it after any one-character change', () => {
    const tokenId = fc.stringMatching(/^[0-9A-Za-z]{17}$/).map((s) => `tok_${s}`).filter((id) => {
      try {
        mintValue(id, 't', 'u', tagging);
        return true;
      } catch {
        return false;
      }
    });
    fc.assert(
      fc.property(tokenId, fc.nat(TOKEN_VALUE_LENGTH - 1), fc.constantFrom(...ALPHABET, '_', '-', ' ', 'é'), (id, at, char) => {
        const value = mintValue(id, 'acme', 'bob', tagging);
        expect(parseValue(value)?.tokenId).toBe(id);
        const changed = value.slice(0, at) + char + value.slice(at + 1);
        if (changed !== value) expect(parseValue(changed)).toBeUndefined();
        expect(parseValue(value + 'x')).toBeUndefined();
        expect(parseValue(` ${value}`)).toBeUndefined();
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });
});

// ---- the authorizer ------------------------------------------------------------------------

let app: TestApp;
let handler: (event: unknown) => Promise<any>;
interface Known {
  value?: string;
  legacy?: { uuid: string; secret: string };
  tokenId: string;
  /** Whether it verifies at all, and whether it carries events:read. */
  valid: boolean;
  eventsRead: boolean;
}
const known: Known[] = [];

beforeAll(async () => {
  app = await startTestApp();
  handler = (await import('../../functions/authorizer.ts')).handler as (event: unknown) => Promise<any>;
  const bob = await app.login('bob');
  const carol = await app.login('carol');
  const a = await app.createToken(bob, { permissions: ['events:read'] });
  known.push({ value: a.value, tokenId: a.token.id, valid: true, eventsRead: true });
  const b = await app.createToken(carol, { permissions: ['rules:read'] });
  known.push({ value: b.value, tokenId: b.token.id, valid: true, eventsRead: false });
  const c = await app.createToken(bob);
  await app.request('PATCH', `/v1/tokens/${c.token.id}`, { jwt: bob, body: { enabled: false } });
  known.push({ value: c.value, tokenId: c.token.id, valid: false, eventsRead: false });
  const uuid = randomUUID();
  const secret = `authz-legacy-${uuid}`;
  await app.request('POST', '/_local/legacy-import', { body: { credentials: [{ tenantId: 'acme', userId: 'bob', uuid, secretSha256: sha256Hex(secret) }] } });
  known.push({ legacy: { uuid, secret }, tokenId: legacyTokenId(uuid), valid: true, eventsRead: true });
  // One use each now, so the once-a-minute lastUsedAt writes happen before the properties run.
  for (const k of known) {
    if (k.value) await app.callExample(k.value);
    else await app.request('GET', '/example/whoami', { headers: { 'x-api-uuid': k.legacy!.uuid, 'x-api-secret': k.legacy!.secret } });
  }
});
afterAll(async () => {
  closeRawAgent();
  await app?.close();
});

const printable = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 100 });
const knownValue = fc.constantFrom(0, 1, 2).map((i) => known[i].value!);
const credentialValue = fc.oneof(
  { weight: 3, arbitrary: knownValue },
  { weight: 1, arbitrary: knownValue.chain((v) => fc.nat(v.length - 1).map((i) => v.slice(0, i) + (v[i] === 'a' ? 'b' : 'a') + v.slice(i + 1))) },
  { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom(...ALPHABET), minLength: 87, maxLength: 87 }).map((s) => `tsr_${s}`) },
  { weight: 2, arbitrary: printable },
  { weight: 1, arbitrary: fc.constantFrom('', ' ', 'null', 'undefined', 'tsr_', 'Bearer', '\t') },
);
const authorizationValue = fc.oneof(
  credentialValue.map((v) => `Bearer ${v}`),
  credentialValue.map((v) => `bearer   ${v}  `),
  credentialValue.map((v) => `Basic ${v}`),
  credentialValue,
  fc.tuple(credentialValue, credentialValue).map(([a, b]) => `Bearer ${a}, Bearer ${b}`),
);
const legacyPair = fc.oneof(
  fc.constant(3).map((i) => ({ 'x-api-uuid': known[i].legacy!.uuid, 'x-api-secret': known[i].legacy!.secret })),
  fc.constant(3).map((i) => ({ 'x-api-uuid': known[i].legacy!.uuid.toUpperCase(), 'x-api-secret': known[i].legacy!.secret })),
  fc.tuple(fc.uuid(), printable).map(([uuid, secret]) => ({ 'x-api-uuid': uuid, 'x-api-secret': secret })),
  fc.constant(3).chain((i) => printable.map((secret) => ({ 'x-api-uuid': known[i].legacy!.uuid, 'x-api-secret': secret }))),
  fc.tuple(printable, printable).map(([uuid, secret]) => ({ 'x-api-uuid': uuid, 'x-api-secret': secret })),
);
const headerName = fc.oneof(
  fc.constantFrom('authorization', 'Authorization', 'AUTHORIZATION', 'x-api-token', 'X-API-Token', 'x-api-uuid', 'x-api-secret', 'cookie', 'host'),
  fc.stringMatching(/^[a-z][a-z0-9-]{0,12}$/),
);
const headersArb = fc
  .record(
    {
      authorization: authorizationValue,
      'x-api-token': credentialValue,
      legacy: legacyPair,
      extra: fc.dictionary(headerName, printable, { maxKeys: 3 }),
    },
    { requiredKeys: [] },
  )
  .map(({ authorization, legacy, extra, ...rest }) => {
    const h: Record<string, string> = { ...extra, ...legacy, ...rest };
    if (authorization !== undefined) h.authorization = authorization;
    return h;
  });

/** rules.md §4: which known credentials the headers carry, wherever they are. */
function carried(headers: Record<string, string>): Known[] {
  const text = Object.values(headers).join('\n');
  return known.filter((k) => (k.value ? text.includes(k.value) : text.toLowerCase().includes(k.legacy!.uuid) && text.includes(k.legacy!.secret)));
}

const methodArn = fc.oneof(
  fc.constant('arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/prod/GET/example/whoami'),
  fc.constantFrom('GET', 'POST', 'DELETE').map((m) => `arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/prod/${m}/example/events`),
  printable,
);
const routeKey = fc.oneof(fc.constantFrom('GET /example/whoami', 'GET /example/events', '$default', 'ANY /{proxy+}'), printable);

const httpEvent = fc.tuple(headersArb, routeKey).map(([headers, key]) => ({
  version: '2.0', type: 'REQUEST', routeArn: 'arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/$default/GET/example/whoami',
  identitySource: Object.values(headers).slice(0, 1), routeKey: key, rawPath: '/example/whoami', rawQueryString: '', headers,
  requestContext: { http: { method: 'GET', path: '/example/whoami' }, routeKey: key },
}));
const restTokenEvent = fc.tuple(fc.option(authorizationValue, { nil: undefined }), methodArn).map(([authorizationToken, arn]) => ({
  type: 'TOKEN', authorizationToken, methodArn: arn,
}));
const restRequestEvent = fc.tuple(headersArb, methodArn, fc.constantFrom('/example/whoami', '/example/events', '/{proxy+}')).map(([headers, arn, resource]) => ({
  type: 'REQUEST', methodArn: arn, resource, path: resource, httpMethod: 'GET', headers, multiValueHeaders: null, queryStringParameters: null,
  pathParameters: null, stageVariables: null, requestContext: {},
}));

const isUnauthorized = (e: unknown) => e instanceof Error && e.message === 'Unauthorized';

function allowedBy(result: any): boolean {
  if (result && typeof result === 'object' && 'isAuthorized' in result) return result.isAuthorized === true;
  const statements: any[] = result?.policyDocument?.Statement ?? [];
  return statements.some((s) => s.Effect === 'Allow');
}

describe('the authorizer handler, called directly', () => {
  it('answers every HTTP API event with a simple response, allowing only a known valid credential', async () => {
    await fc.assert(
      fc.asyncProperty(httpEvent, async (event) => {
        const result = await handler(event);
        expect(Object.keys(result).sort()).toEqual(result.isAuthorized ? ['context', 'isAuthorized'] : ['isAuthorized']);
        if (result.isAuthorized) {
          const k = carried(event.headers).filter((c) => c.valid);
          expect(k.map((c) => c.tokenId)).toContain(result.context.tokenId);
          expect(result.context).toMatchObject({ tenantId: 'acme', userId: expect.any(String), permissions: expect.any(String) });
          expect(leaksIn(JSON.stringify(result), new Set(known.flatMap((c) => [c.value, c.legacy?.secret].filter(Boolean) as string[])))).toEqual([]);
        }
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });

  it('answers every REST TOKEN and REQUEST event with a policy or "Unauthorized", allowing only a known valid credential', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(restTokenEvent, restRequestEvent), async (event) => {
        let result: any;
        try {
          result = await handler(event);
        } catch (e) {
          expect(isUnauthorized(e), String(e)).toBe(true);
          return;
        }
        expect(result.policyDocument?.Version).toBe('2012-10-17');
        if (allowedBy(result)) {
          const headers = 'headers' in event ? event.headers : { authorization: event.authorizationToken ?? '' };
          expect(carried(headers).filter((c) => c.valid).map((c) => c.tokenId)).toContain(result.context.tokenId);
        }
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });

  it('never allows a malformed event, and fails on one only with "Unauthorized"', async () => {
    const junk = fc.oneof(
      fc.object({ maxDepth: 2 }),
      fc.record({ version: fc.constantFrom('2.0', '1.0', 2), type: fc.constantFrom('TOKEN', 'REQUEST', 'token', ''), headers: fc.oneof(fc.object({ maxDepth: 1 }), fc.constant(null), fc.array(fc.string())), authorizationToken: fc.anything(), methodArn: fc.anything(), routeKey: fc.anything() }, { requiredKeys: [] }),
    );
    await fc.assert(
      fc.asyncProperty(junk, async (event) => {
        try {
          const result = await handler(event);
          expect(allowedBy(result)).toBe(false);
        } catch (e) {
          expect(isUnauthorized(e), String(e)).toBe(true);
        }
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });
});

describe('the authorizer through /example/*', () => {
  it('answers any headers with 200 or the gateway 401/403, never 5xx, changing nothing and leaking nothing', async () => {
    const before = await snapshotTable({ ignore: ['lastUsedAt'] });
    const secrets = secretsOf(before, known.flatMap((k) => [k.value, k.legacy?.secret].filter(Boolean) as string[]));
    await fc.assert(
      fc.asyncProperty(headersArb, fc.constantFrom('/example/whoami', '/example/events'), async (headers, path) => {
        // Act
        const r = await rawRequest(app.url, 'GET', path, headers);
        // Assess
        const where = `${path} ${JSON.stringify(headers).slice(0, 300)} -> ${r.status} ${r.text.slice(0, 200)}`;
        expect([200, 401, 403], where).toContain(r.status);
        if (r.status !== 200) expect(envelopeOf(r.status, r.body), where).toBe('gateway');
        const present = carried(headers);
        if (r.status === 200 && path === '/example/whoami') expect(present.find((k) => k.tokenId === r.body.context?.tokenId)?.valid, where).toBe(true);
        if (r.status === 200 && path === '/example/events') expect(present.some((k) => k.valid && k.eventsRead), where).toBe(true);
        // A request whose only credential header is exactly one valid credential is let in.
        const only = Object.keys(headers).filter((h) => ['authorization', 'x-api-token', 'x-api-uuid', 'x-api-secret'].includes(h.toLowerCase()));
        const exact = known.find((k) => k.value && k.valid && (path === '/example/whoami' || k.eventsRead) && (
          (only.length === 1 && only[0].toLowerCase() === 'x-api-token' && headers[only[0]] === k.value) ||
          (only.length === 1 && only[0].toLowerCase() === 'authorization' && headers[only[0]] === `Bearer ${k.value}`)));
        if (exact) expect(r.status, where).toBe(200);
        expect(leaksIn(r.text, secrets), where).toEqual([]);
      }),
      { numRuns: RUNS, seed: SEED },
    );
    expect(diffSnapshots(before, await snapshotTable({ ignore: ['lastUsedAt'] }))).toEqual([]);
  });
});
