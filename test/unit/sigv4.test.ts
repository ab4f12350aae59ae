// The authorizer's SigV4 signer (shared/store/sigv4.ts) against aws4fetch's, the reference it
// follows: the same request, credentials and instant give the same signed headers.
import { AwsV4Signer } from 'aws4fetch';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { signPost } from '../../shared/store/sigv4.ts';

async function reference(host: string, body: string, target: string, credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }, region: string, datetime: string) {
  const signed = await new AwsV4Signer({
    url: `http://${host}/`,
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': target },
    body,
    ...credentials,
    service: 'dynamodb',
    region,
    datetime,
  }).sign();
  const out: Record<string, string> = {};
  signed.headers.forEach((v, k) => (out[k] = v));
  return out;
}

describe('SigV4', () => {
  it('signs as aws4fetch does, with and without a session token', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('dynamodb.us-east-1.amazonaws.com', '127.0.0.1:8000', 'dynamodb.eu-west-3.amazonaws.com'),
        fc.string({ maxLength: 300 }),
        fc.constantFrom('DynamoDB_20120810.GetItem', 'DynamoDB_20120810.BatchGetItem', 'DynamoDB_20120810.Query'),
        fc.record({ accessKeyId: fc.stringMatching(/^[A-Z0-9]{16,20}$/), secretAccessKey: fc.stringMatching(/^[A-Za-z0-9/+]{40}$/), sessionToken: fc.option(fc.stringMatching(/^[A-Za-z0-9/+=]{20,200}$/), { nil: undefined }) }),
        fc.constantFrom('us-east-1', 'eu-west-3'),
        fc.date({ min: new Date('2020-01-01'), max: new Date('2030-01-01'), noInvalidDate: true }).map((d) => d.toISOString().replace(/[:-]|\.\d{3}/g, '')),
        async (host, body, target, credentials, region, datetime) => {
          const ours = signPost({ host, headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': target }, body, credentials, region, service: 'dynamodb', datetime });
          expect(ours).toEqual(await reference(host, body, target, credentials, region, datetime));
        },
      ),
      { numRuns: 60 },
    );
  });
});
