// An API in another stack gives the imported authorizer its own permission map through its
// stage (stage variable tesseraPermissions, written by the TesseraAuthorizer construct).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeStageMap, STAGE_PERMISSIONS_VARIABLE } from '../../shared/route-permissions.ts';
import { httpV2Event, restRequestEvent } from '../fixtures/aws/events.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';

let app: TestApp;
let value: string;
// Loaded after the app has set the environment: the handler reads its configuration at import.
let handler: (event: unknown) => Promise<unknown>;
beforeAll(async () => {
  app = await startTestApp({ env: { TESSERA_AUTH_CACHE_SECONDS: '0' } });
  handler = (await import('../../functions/authorizer.ts')).handler as (event: unknown) => Promise<unknown>;
  value = (await app.createToken(await app.login('bob'), { permissions: ['events:read'] })).value;
});
afterAll(async () => app?.close());

const stage = (map: Record<string, string[]> | string) => ({ [STAGE_PERMISSIONS_VARIABLE]: typeof map === 'string' ? map : encodeStageMap(map) });

describe('permission map from the stage', () => {
  it("allows an HTTP API route whose stage map the token satisfies, refuses one it does not", async () => {
    const event = httpV2Event({ Authorization: `Bearer ${value}` });
    const ok = await handler({ ...event, stageVariables: stage({ [event.routeKey]: ['events:read'] }) });
    expect(ok).toMatchObject({ isAuthorized: true });
    const refused = await handler({ ...event, stageVariables: stage({ [event.routeKey]: ['rules:write'] }) });
    expect(refused).toEqual({ isAuthorized: false });
  });

  it('refuses every request when the stage map cannot be read', async () => {
    const event = httpV2Event({ Authorization: `Bearer ${value}` });
    expect(await handler({ ...event, stageVariables: stage('not-a-map') })).toEqual({ isAuthorized: false });
    expect(await handler({ ...event, stageVariables: stage(Buffer.from('{"GET /x":"events:read"}').toString('base64url')) })).toEqual({ isAuthorized: false });
  });

  it('puts the stage map into the REST policy: Deny on the routes the token lacks', async () => {
    const event = restRequestEvent({ Authorization: `Bearer ${value}` });
    const policy = (await handler({ ...event, stageVariables: stage({ 'POST /orders': ['events:write'], 'GET /orders': ['events:read'] }) })) as {
      policyDocument: { Statement: { Effect: string; Resource: string | string[] }[] };
    };
    const deny = policy.policyDocument.Statement.find((s) => s.Effect === 'Deny');
    expect(deny?.Resource).toEqual([expect.stringMatching(/\/POST\/orders$/)]);
  });
});
