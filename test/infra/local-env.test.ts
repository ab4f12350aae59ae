// The local runtime gives each function the environment variables the deployed function gets
// (local/function-env.ts against the synthesized dev stack), so a handler reads the same
// configuration in both places; only the local endpoints and Lambda's own variables differ. Its
// memory and timeout are the deployed ones too.
import { beforeAll, describe, expect, it } from 'vitest';
import { FUNCTIONS } from '../../local/bundles.ts';
import { functionEnv, functionSizing } from '../../local/function-env.ts';
import { synthEnv, type Synthesized } from './harness.ts';

let s: Synthesized;
beforeAll(async () => {
  s = await synthEnv('dev');
});

/** Set by Lambda, or for the local endpoints: not in the template. */
const LAMBDA_OR_LOCAL = /^(AWS_|TESSERA_LOCAL_)/;
/** Set by CDK for the runtime, not read by the handlers: NODE_OPTIONS (source maps of the minified bundle). */
const CDK_RUNTIME_ONLY = new Set(['NODE_OPTIONS']);

describe('local function environments', () => {
  it('has every deployed function, and only those, among the local functions', () => {
    expect(FUNCTIONS.map((f) => f.id).sort()).toEqual([...s.stack.functions.keys()].sort());
  });

  it.each(FUNCTIONS.map((f) => f.id))('gives %s the variables CDK gives it', (id) => {
    const fn = s.stack.functions.get(id as never)!;
    const deployed = Object.keys(s.json.Resources[s.stack.getLogicalId(fn.fn.node.defaultChild as never)].Properties!.Environment.Variables)
      .filter((k) => !CDK_RUNTIME_ONLY.has(k))
      .sort();
    const local = Object.keys(
      functionEnv(id, {
        region: 'us-east-1', tableName: 't', keySource: 'file:/k', macKeys: 'file:/k', jwtIssuer: 'i', jwtAudience: 'a', identitySource: 'tessera.identity',
        logLevel: 'INFO', routePermissions: '{}', storeEndpoint: 'http://127.0.0.1:1', busEndpoint: 'http://127.0.0.1:2', kmsEndpoint: 'http://127.0.0.1:3', busName: 'b',
      }),
    )
      .filter((k) => !LAMBDA_OR_LOCAL.test(k))
      .sort();
    expect(local).toEqual(deployed);
  });

  it.each(FUNCTIONS.map((f) => f.id))('runs %s with the memory and timeout CDK gives it', (id) => {
    const fn = s.stack.functions.get(id as never)!;
    const props = s.json.Resources[s.stack.getLogicalId(fn.fn.node.defaultChild as never)].Properties!;
    expect({ memorySize: props.MemorySize, timeoutSeconds: props.Timeout }).toEqual(functionSizing(id));
  });
});
