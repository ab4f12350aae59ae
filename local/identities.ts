// Each local function's identity, standing in for its Lambda execution role: the credentials
// the local runtime puts in the function's environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
// AWS_SESSION_TOKEN, as Lambda does with the role's session), and the way back from an access
// key id (as the store proxy reads it from a SigV4 signature) to the function.
//
// Function ids are the route ids of shared/routes.ts (ROUTES) and the job ids (JOBS). The local
// runtime's own calls, standing in for AWS itself or for an operator (the TTL sweeper, table
// creation, /_local tools), use LOCAL_RUNTIME.
import { createHash } from 'node:crypto';
import { JOBS, ROUTE_LIST } from '../shared/routes.ts';

export interface FunctionIdentity {
  functionId: string;
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
}

/** The identity of the local runtime itself (not a function). */
export const LOCAL_RUNTIME = 'local-runtime';
/** Tests' and tools' reads of the store as it is (snapshots): no fault, no lag is applied to them. */
export const LOCAL_INSPECTOR = 'local-inspector';

const byKey = new Map<string, string>();
const byFunction = new Map<string, FunctionIdentity>();

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** Same shape as a session key id from STS (ASIA + 16 characters of base32), derived from the id. */
function accessKeyIdOf(functionId: string): string {
  const digest = createHash('sha256').update(`tessera-local:${functionId}`).digest();
  let out = 'ASIA';
  for (let i = 0; i < 16; i++) out += ALPHABET[digest[i] % 32];
  return out;
}

/** The identity of a function (made on first use; the same for the same id in every process). */
export function identityOf(functionId: string): FunctionIdentity {
  let found = byFunction.get(functionId);
  if (found) return found;
  const accessKeyId = accessKeyIdOf(functionId);
  const other = byKey.get(accessKeyId);
  if (other !== undefined && other !== functionId) throw new Error(`local identities collide: ${functionId} and ${other}`);
  const secret = createHash('sha256').update(`tessera-local-secret:${functionId}`).digest('base64url');
  found = { functionId, accessKeyId, secretAccessKey: secret.slice(0, 40), sessionToken: `local-session-${functionId}` };
  byFunction.set(functionId, found);
  byKey.set(accessKeyId, functionId);
  return found;
}

/** The function an access key id belongs to, or undefined for a key no local function has. */
export function functionOfAccessKey(accessKeyId: string): string | undefined {
  return byKey.get(accessKeyId);
}

/** The environment variables Lambda sets from the execution role's session. */
export function credentialsEnv(functionId: string): Record<'AWS_ACCESS_KEY_ID' | 'AWS_SECRET_ACCESS_KEY' | 'AWS_SESSION_TOKEN', string> {
  const id = identityOf(functionId);
  return { AWS_ACCESS_KEY_ID: id.accessKeyId, AWS_SECRET_ACCESS_KEY: id.secretAccessKey, AWS_SESSION_TOKEN: id.sessionToken };
}

/** Every function the route table and the jobs declare. */
export const FUNCTION_IDS: string[] = [...ROUTE_LIST.map((r) => r.id), ...Object.keys(JOBS)];

for (const id of [...FUNCTION_IDS, LOCAL_RUNTIME, LOCAL_INSPECTOR]) identityOf(id);
