// The physical floor of one read: a GetItem signed ahead of time (aws4fetch's signer, outside the
// timed loop) and sent over a keep-alive connection with node:http. No SDK, no signing, no
// marshalling on the clock: what is left is the round trip and the store's own work.
import { Agent, request } from 'node:http';
import { AwsV4Signer } from 'aws4fetch';

export interface Presigned {
  path: string;
  headers: Record<string, string>;
  body: string;
}

export async function presignGetItems(endpoint: string, table: string, keys: Record<string, unknown>[]): Promise<Presigned[]> {
  const out: Presigned[] = [];
  for (const key of keys) {
    const body = JSON.stringify({
      TableName: table,
      Key: Object.fromEntries(Object.entries(key).map(([k, v]) => [k, { S: String(v) }])),
    });
    const signed = await new AwsV4Signer({
      url: endpoint,
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'DynamoDB_20120810.GetItem' },
      body,
      accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? 'bench',
      secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? 'bench',
      service: 'dynamodb',
      region: 'us-east-1',
    }).sign();
    const headers: Record<string, string> = {};
    signed.headers.forEach((v, k) => (headers[k] = v));
    out.push({ path: new URL(signed.url).pathname, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) }, body });
  }
  return out;
}

/** Sends one presigned request and reads the whole answer; an error status or a missing item throws. */
export function sendPresigned(agent: Agent, endpoint: URL, req: Presigned): Promise<void> {
  return new Promise((resolve, reject) => {
    const r = request({ host: endpoint.hostname, port: endpoint.port, path: req.path, method: 'POST', headers: req.headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        if (res.statusCode !== 200 || !text.includes('"Item"')) reject(new Error(`floor GetItem: ${res.statusCode} ${text.slice(0, 200)}`));
        else resolve();
      });
      res.on('error', reject);
    });
    r.on('error', reject);
    r.end(req.body);
  });
}

export const keepAliveAgent = () => new Agent({ keepAlive: true, maxSockets: 64 });
