// AWS Signature Version 4 for the authorizer's DynamoDB calls, with node:crypto's synchronous HMAC.
// The algorithm is aws4fetch's (AwsV4Signer), which signs through WebCrypto: ~200 µs of CPU per
// request against ~10 µs here, most of a verification's client time (BENCHMARKS.md). A unit test
// holds this signer to aws4fetch's output, header for header, for the same inputs and instant.
import { createHash, createHmac } from 'node:crypto';

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

const keys = new Map<string, Buffer>();

function signingKey(secret: string, date: string, region: string, service: string): Buffer {
  const cacheKey = `${secret}\u0000${date}\u0000${region}\u0000${service}`;
  let key = keys.get(cacheKey);
  if (!key) {
    const hmac = (k: string | Buffer, text: string) => createHmac('sha256', k).update(text).digest();
    key = hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), service), 'aws4_request');
    if (keys.size > 8) keys.clear();
    keys.set(cacheKey, key);
  }
  return key;
}

/**
 * The headers of a signed POST to `/` of `host` (DynamoDB's JSON protocol): `headers` plus
 * x-amz-date, x-amz-security-token and authorization. Headers are given in lower case.
 */
export function signPost(args: {
  host: string;
  headers: Record<string, string>;
  body: string;
  credentials: Credentials;
  region: string;
  service: string;
  /** yyyymmddThhmmssZ; now (real time: AWS refuses a signature more than 5 minutes off). */
  datetime?: string;
}): Record<string, string> {
  const datetime = args.datetime ?? new Date().toISOString().replace(/[:-]|\.\d{3}/g, '');
  const date = datetime.slice(0, 8);
  const headers: Record<string, string> = { ...args.headers, 'x-amz-date': datetime };
  if (args.credentials.sessionToken) headers['x-amz-security-token'] = args.credentials.sessionToken;
  // As aws4fetch: content-type (and the other hop-by-hop or mutable headers) are not signed.
  const signable = ['host', ...Object.keys(headers).filter((h) => !UNSIGNABLE.has(h))].sort();
  const canonicalHeaders = signable.map((h) => `${h}:${(h === 'host' ? args.host : headers[h]).replace(/\s+/g, ' ')}`).join('\n');
  const signedHeaders = signable.join(';');
  const scope = `${date}/${args.region}/${args.service}/aws4_request`;
  const bodyHash = createHash('sha256').update(args.body).digest('hex');
  const canonical = `POST\n/\n\n${canonicalHeaders}\n\n${signedHeaders}\n${bodyHash}`;
  const toSign = `AWS4-HMAC-SHA256\n${datetime}\n${scope}\n${createHash('sha256').update(canonical).digest('hex')}`;
  const signature = createHmac('sha256', signingKey(args.credentials.secretAccessKey, date, args.region, args.service)).update(toSign).digest('hex');
  headers.authorization = `AWS4-HMAC-SHA256 Credential=${args.credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
  return headers;
}

const UNSIGNABLE = new Set(['authorization', 'content-type', 'content-length', 'user-agent', 'presigned-expires', 'expect', 'x-amzn-trace-id', 'range', 'connection']);
