// npm run parity: the deployed code, run as Lambda runs it, against the local runtime's AWS.
// The bundles are built with infra/bundling.ts exactly as CDK builds them; each runs in its own
// plain Node process (no tsx) with the environment the synthesized dev template gives its
// function (CloudFormation references resolved to the local resources), its own credentials,
// and AWS's standard endpoint variables pointing at the local store (IAM enforced), the KMS
// stand-in and a local EventBridge endpoint. They are driven with events shaped as AWS documents
// them (test/fixtures/aws): HTTP API 2.0 proxy events, the three authorizer events, an
// EventBridge envelope. Prints each step; exits 1 if any step fails.
import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { FunctionId, PolicyStatementData } from '../infra/access.ts';
import { LAMBDA_BUNDLE, REPO_ROOT } from '../infra/bundling.ts';
import { sha256Hex, legacyTokenId } from '../shared/token-value.ts';
import { JOBS, ROUTES } from '../shared/routes.ts';
import { startLocal, type LocalApp } from './app.ts';
import { functionBundles } from './bundles.ts';
import { eventsIamInterceptor } from './iam.ts';
import { credentialsEnv } from './identities.ts';
import { jsonReply, startAwsJsonEndpoint, type AwsJsonEndpoint } from './store-proxy.ts';

const FIXTURES = join(REPO_ROOT, 'test', 'fixtures', 'aws');
const fixture = (name: string) => JSON.parse(readFileSync(join(FIXTURES, name), 'utf8'));

/** The functions the parity run executes from their bundles. */
export const PARITY_FUNCTIONS = ['authorizer', 'createToken', 'listTokens', 'deleteToken', 'userEvents'] as const satisfies readonly FunctionId[];
type ParityFunction = (typeof PARITY_FUNCTIONS)[number];

const entryOf = (id: ParityFunction) => (id in ROUTES ? ROUTES[id as keyof typeof ROUTES].entry : JOBS[id as keyof typeof JOBS].entry);

export interface Step {
  fn: ParityFunction;
  event: string;
  outcome: string;
  ok: boolean;
  ms: number;
}

export interface ParityReport {
  steps: Step[];
  ok: boolean;
  /** IAM refusals seen while the bundles ran (a grant the code needs and the template lacks). */
  refusals: { functionId: string; action: string; resource: string }[];
  /** Each function's environment as resolved from the template (secrets left out). */
  environments: Record<string, Record<string, string>>;
}

// ---- the template -------------------------------------------------------------------------

interface Resolved {
  tableName: string;
  tableArn: string;
  keyArn: string;
  busName: string;
  busArn: string;
  macKeyArn: string;
}

interface TemplateFunction {
  environment: Record<string, unknown>;
  /** The statements of every IAM policy attached to the function's role. */
  statements: { Sid?: string; Action: string | string[]; Resource: unknown; Condition?: Record<string, Record<string, string>> }[];
}

/** Each parity function's environment variables and role policy from the synthesized dev template. */
async function templateFunctions(): Promise<Record<ParityFunction, TemplateFunction>> {
  const { buildApp } = await import('../infra/build.ts');
  const outdir = mkdtempSync(join(tmpdir(), 'tessera-parity-cdk-'));
  try {
    const { app, stack } = await buildApp({ env: 'dev', outdir, nag: false, context: { 'aws:cdk:bundling-stacks': [] } });
    const template = app.synth().getStackByName(stack.stackName).template as { Resources: Record<string, { Type: string; Properties?: Record<string, any> }> };
    const out = {} as Record<ParityFunction, TemplateFunction>;
    for (const id of PARITY_FUNCTIONS) {
      const fn = stack.functions.get(id)!;
      const logicalId = stack.getLogicalId(fn.fn.node.defaultChild as never);
      const roleId = stack.getLogicalId(fn.role.node.defaultChild as never);
      const statements = Object.values(template.Resources)
        .filter((r) => r.Type === 'AWS::IAM::Policy' && (r.Properties!.Roles as { Ref: string }[]).some((x) => x.Ref === roleId))
        .flatMap((r) => r.Properties!.PolicyDocument.Statement);
      out[id] = { environment: template.Resources[logicalId].Properties!.Environment.Variables, statements };
    }
    return out;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/** CloudFormation references, resolved to the local resources they stand for. */
function resolveValue(value: unknown, r: Resolved, name: string): string {
  if (typeof value === 'string') return value;
  const v = value as Record<string, any>;
  if (typeof v.Ref === 'string' && v.Ref.startsWith('StoreTable')) return r.tableName;
  if (typeof v.Ref === 'string' && v.Ref.startsWith('Bus')) return r.busName;
  const [resource = '', attribute = ''] = (v['Fn::GetAtt'] as [string, string] | undefined) ?? [];
  if (attribute === 'Arn' && resource.startsWith('ValueKey')) return r.keyArn;
  if (attribute === 'Arn' && resource.startsWith('StoreTable')) return r.tableArn;
  if (attribute === 'Arn' && resource.startsWith('Bus')) return r.busArn;
  if (attribute === 'Arn' && resource.startsWith('MacKey')) return r.macKeyArn;
  if (v['Fn::Join']) return (v['Fn::Join'][1] as unknown[]).map((p) => resolveValue(p, r, name)).join(v['Fn::Join'][0]);
  throw new Error(`${name}: a template value the parity run cannot resolve: ${JSON.stringify(value)}`);
}

// ---- a Lambda-like process per function -----------------------------------------------------

/** Plain JavaScript, run by plain Node: imports the bundle and answers invocations over IPC. */
const RUNNER = `
const { handler } = await import(process.argv[2]);
let n = 0;
process.on('message', async ({ id, event }) => {
  const context = {
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME, functionVersion: '$LATEST', awsRequestId: 'parity-' + (++n),
    invokedFunctionArn: 'arn:aws:lambda:' + process.env.AWS_REGION + ':000000000000:function:' + process.env.AWS_LAMBDA_FUNCTION_NAME,
    memoryLimitInMB: '512', logGroupName: '/aws/lambda/' + process.env.AWS_LAMBDA_FUNCTION_NAME, logStreamName: 'parity',
    callbackWaitsForEmptyEventLoop: true, getRemainingTimeInMillis: () => 10000,
  };
  try {
    process.send({ id, result: await handler(event, context) });
  } catch (e) {
    process.send({ id, error: { name: e?.name, message: e?.message } });
  }
});
process.send({ ready: true });
`;

class LambdaProcess {
  private waiting = new Map<string, (m: { result?: unknown; error?: { name: string; message: string } }) => void>();
  private constructor(private readonly child: ChildProcess) {
    child.on('message', (m: { id?: string }) => {
      if (m.id) this.waiting.get(m.id)?.(m as never);
    });
  }

  static start(runner: string, bundle: string, env: Record<string, string>): Promise<LambdaProcess> {
    // execArgv from the template's NODE_OPTIONS only: no tsx, no loader of this process.
    const child = fork(runner, [pathToFileURL(bundle).href], { env, execArgv: LAMBDA_BUNDLE.nodeOptions.split(' '), stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    return new Promise((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`${env.AWS_LAMBDA_FUNCTION_NAME} exited with ${code} before it was ready`)));
      child.once('message', () => resolve(new LambdaProcess(child)));
    });
  }

  invoke(event: unknown): Promise<{ result?: any; error?: { name: string; message: string } }> {
    const id = randomUUID();
    return new Promise((resolve) => {
      this.waiting.set(id, (m) => {
        this.waiting.delete(id);
        resolve(m);
      });
      this.child.send({ id, event });
    });
  }

  stop(): void {
    this.child.removeAllListeners('exit');
    this.child.kill();
  }
}

// ---- events as API Gateway and EventBridge send them -------------------------------------------

function httpEvent(route: { method: string; path: string }, claims: Record<string, string>, options: { path?: string; params?: Record<string, string>; body?: unknown } = {}) {
  const e = fixture('http-api-proxy-v2.json');
  const routeKey = `${route.method} ${route.path}`;
  const path = options.path ?? route.path;
  Object.assign(e, {
    routeKey, rawPath: path, rawQueryString: '', cookies: undefined,
    headers: { 'content-type': 'application/json', host: 'id.execute-api.us-east-1.amazonaws.com', 'user-agent': 'parity' },
    queryStringParameters: undefined, pathParameters: options.params, stageVariables: undefined,
    body: options.body === undefined ? undefined : JSON.stringify(options.body), isBase64Encoded: false,
  });
  Object.assign(e.requestContext, { routeKey, requestId: randomUUID(), authorizer: { jwt: { claims, scopes: null } } });
  Object.assign(e.requestContext.http, { method: route.method, path });
  return e;
}

function eventBridgeEvent(detailType: string, detail: unknown, source: string) {
  return { ...fixture('eventbridge-event.json'), id: randomUUID(), 'detail-type': detailType, source, account: '000000000000', region: 'us-east-1', resources: [], detail };
}

// ---- the run ------------------------------------------------------------------------------

/** The role policy of a template function as the local IAM evaluates it; what it cannot resolve (logs, X-Ray) is left out. */
function policyOf(fn: TemplateFunction, r: Resolved, without: string[]): PolicyStatementData[] {
  const out: PolicyStatementData[] = [];
  for (const st of fn.statements) {
    const resources: string[] = [];
    for (const x of ([] as unknown[]).concat(st.Resource)) {
      try {
        resources.push(resolveValue(x, r, 'policy'));
      } catch {
        // a log group or '*': not a resource of the local store, key or bus
      }
    }
    const actions = ([] as string[]).concat(st.Action).filter((a) => !without.includes(a));
    if (resources.length && actions.length) out.push({ sid: st.Sid ?? '', actions, resources, conditions: st.Condition });
  }
  return out;
}

export interface ParityOptions {
  /** `function:action` pairs taken out of the template's policies: a deliberately wrong configuration. */
  without?: string[];
}

/** The local runtime the bundles run against, a local EventBridge endpoint that records what is published, and the runner script. */
interface Rig {
  app: LocalApp;
  events: AwsJsonEndpoint;
  published: { detailType: string; source: string }[];
  /** The temporary folder that holds the runner. */
  dir: string;
  runner: string;
}

/** One parity run: the processes of the functions, the steps taken so far and where they are told. */
interface Run {
  processes: Map<ParityFunction, LambdaProcess>;
  steps: Step[];
  log: (line: string) => void;
}

type Check = (out: { result?: any; error?: any }) => string | false;

export async function runParity(log: (line: string) => void = () => {}, options: ParityOptions = {}): Promise<ParityReport> {
  const started = Date.now();
  const [bundles, templates] = await Promise.all([
    functionBundles(PARITY_FUNCTIONS.map((id) => ({ id, entry: entryOf(id) }))),
    templateFunctions(),
  ]);
  log(`built ${PARITY_FUNCTIONS.length} bundles (infra/bundling.ts) and synthesized the dev template in ${Date.now() - started} ms`);

  const rig = await startRig();
  const run: Run = { processes: new Map(), steps: [], log };
  const environments: Record<string, Record<string, string>> = {};
  try {
    await startFunctions(rig, run.processes, { bundles, templates, without: options.without ?? [], environments });
    await runScenario(run, rig);
  } finally {
    for (const p of run.processes.values()) p.stop();
    await rig.events.close();
    await rig.app.close();
    rmSync(rig.dir, { recursive: true, force: true });
  }
  const refusals = [...rig.app.iam.refusals];
  log(`IAM refusals: ${refusals.length}${refusals.length ? ` (${refusals.map((r) => `${r.functionId} ${r.action}`).join(', ')})` : ''}`);
  return { steps: run.steps, ok: run.steps.every((s) => s.ok) && refusals.length === 0, refusals, environments };
}

async function startRig(): Promise<Rig> {
  const app = await startLocal({ store: 'memory', port: 0, sweepEveryMs: 0, seed: true, tableName: `parity-${Date.now()}` });
  const published: Rig['published'] = [];
  const events = await startAwsJsonEndpoint({
    terminal: async (call) => {
      const entries = (call.body.Entries as { DetailType: string; Source: string }[]) ?? [];
      for (const e of entries) published.push({ detailType: e.DetailType, source: e.Source });
      return jsonReply(200, { FailedEntryCount: 0, Entries: entries.map(() => ({ EventId: randomUUID() })) });
    },
  });
  events.use(eventsIamInterceptor(app.iam));
  const dir = mkdtempSync(join(tmpdir(), 'tessera-parity-'));
  const runner = join(dir, 'runner.mjs');
  writeFileSync(runner, RUNNER);
  return { app, events, published, dir, runner };
}

/**
 * Starts each function's process with its template policy enforced by the local IAM and its
 * template environment resolved; `processes` holds every one started, so a failure stops them.
 */
async function startFunctions(
  rig: Rig,
  processes: Map<ParityFunction, LambdaProcess>,
  from: { bundles: Record<string, string>; templates: Record<ParityFunction, TemplateFunction>; without: string[]; environments: Record<string, Record<string, string>> },
): Promise<void> {
  const { arns } = rig.app.iam;
  const resolved: Resolved = { tableName: arns.table.split('/').pop()!, tableArn: arns.table, keyArn: arns.valueKey, busName: arns.bus.split('/').pop()!, busArn: arns.bus, macKeyArn: arns.macKeys[0] };
  for (const id of PARITY_FUNCTIONS) {
    // The local IAM enforces the template's policy of each function, not the grant data it came from.
    const without = from.without.filter((w) => w.startsWith(`${id}:`)).map((w) => w.slice(id.length + 1));
    rig.app.iam.policies.set(id, policyOf(from.templates[id], resolved, without));
    const fromTemplate = Object.fromEntries(Object.entries(from.templates[id].environment).map(([k, v]) => [k, resolveValue(v, resolved, `${id}.${k}`)]));
    from.environments[id] = fromTemplate;
    processes.set(id, await LambdaProcess.start(rig.runner, from.bundles[id], lambdaEnv(id, rig, fromTemplate)));
  }
}

/** A function's process environment: what Lambda sets, the endpoint variables, then the template's. */
function lambdaEnv(id: ParityFunction, rig: Rig, fromTemplate: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    // What Lambda sets: region, function name, the role's session credentials.
    AWS_REGION: rig.app.iam.region,
    AWS_LAMBDA_FUNCTION_NAME: id,
    ...credentialsEnv(id),
    // AWS's standard endpoint variables, read by the SDK clients themselves.
    AWS_ENDPOINT_URL_DYNAMODB: rig.app.storeProxy.endpoint,
    AWS_ENDPOINT_URL_KMS: process.env.AWS_ENDPOINT_URL_KMS!,
    AWS_ENDPOINT_URL_EVENTBRIDGE: rig.events.endpoint,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    ...fromTemplate,
    TESSERA_LOG_LEVEL: process.env.TESSERA_LOG_LEVEL ?? 'ERROR',
  };
  delete env.NODE_OPTIONS; // given as execArgv, as Lambda's runtime applies it
  return env;
}

/** Invokes one function with one event, records the step and logs it. */
async function step(run: Run, fn: ParityFunction, eventKind: string, event: unknown, check: Check) {
  const t = performance.now();
  const out = await run.processes.get(fn)!.invoke(event);
  const verdict = check(out);
  const s: Step = { fn, event: eventKind, outcome: verdict || `unexpected: ${JSON.stringify(out).slice(0, 300)}`, ok: verdict !== false, ms: Math.round(performance.now() - t) };
  run.steps.push(s);
  run.log(`${s.ok ? 'ok  ' : 'FAIL'} ${fn.padEnd(12)} ${eventKind.padEnd(34)} ${s.outcome} (${s.ms} ms)`);
  return out;
}

const BOB = { sub: 'bob', tenant_id: 'acme', iss: 'https://auth.dev.example.com/', scope: 'tessera' };
const PARITY_USER = { ...BOB, sub: 'parity' };

const userChanged = (version: number, status: string) =>
  eventBridgeEvent('UserChanged', { tenantId: 'acme', userId: 'parity', version, role: 'analyst', status, authMethod: 'password' }, 'tessera.identity');

/** The steps, in order: each scenario uses what the one before it left. */
async function runScenario(run: Run, rig: Rig): Promise<void> {
  const { value, unseen } = await createAndList(run);
  const restToken = await authorizeEachEventKind(run, value);
  await disableOwner(run, restToken, unseen);
  await deleteLegacyToken(run, rig.app.url);
  checkPublished(run, rig.published);
}

/** A user arrives from the identity system; they create a token; the list shows it. */
async function createAndList(run: Run): Promise<{ value?: string; unseen?: string }> {
  await step(run, 'userEvents', 'EventBridge UserChanged', userChanged(1, 'active'),
    (o) => o.result?.projection === 'applied' && 'projection applied');
  const create = () => step(run, 'createToken', 'HTTP API 2.0 POST /v1/tokens', httpEvent(ROUTES.createToken, PARITY_USER, { body: { name: 'parity', permissions: ['events:read'] } }),
    (o) => o.result?.statusCode === 201 && '201, value tagged and sealed through KMS');
  const { token, value } = JSON.parse((await create()).result?.body ?? '{}') as { token?: { id: string }; value?: string };
  // A second token the authorizer has not seen yet (its container cache holds the first one).
  const { value: unseen } = JSON.parse((await create()).result?.body ?? '{}') as { value?: string };
  await step(run, 'listTokens', 'HTTP API 2.0 GET /v1/tokens', httpEvent(ROUTES.listTokens, PARITY_USER),
    (o) => o.result?.statusCode === 200 && JSON.parse(o.result.body).items.some((t: { id: string }) => t.id === token?.id) && '200, the new token listed');
  return { value, unseen };
}

/** The authorizer, with each event kind API Gateway sends; returns the REST TOKEN event for the next scenario. */
async function authorizeEachEventKind(run: Run, value: string | undefined) {
  const httpAuth = { ...fixture('http-api-authorizer-v2-request.json'), routeKey: 'GET /example/whoami', identitySource: [`Bearer ${value}`, 'GET /example/whoami'], headers: { authorization: `Bearer ${value}` } };
  await step(run, 'authorizer', 'HTTP API 2.0 REQUEST authorizer', httpAuth, (o) => o.result?.isAuthorized === true && o.result.context.userId === 'parity' && 'isAuthorized, context of the owner');
  const restToken = { ...fixture('rest-token-authorizer.json'), authorizationToken: `Bearer ${value}` };
  await step(run, 'authorizer', 'REST TOKEN authorizer', restToken, (o) => o.result?.policyDocument?.Statement?.[0]?.Effect === 'Allow' && o.result.principalId === 'parity' && 'Allow policy for the stage');
  const restRequest = fixture('rest-request-authorizer.json');
  restRequest.headers = { ...restRequest.headers, Authorization: `Bearer ${value}` };
  await step(run, 'authorizer', 'REST REQUEST authorizer', restRequest, (o) => o.result?.policyDocument?.Statement?.[0]?.Effect === 'Allow' && 'Allow policy for the stage');
  return restToken;
}

/** The owner is disabled: the cascade disables the token, and the authorizer refuses it. */
async function disableOwner(run: Run, restToken: Record<string, unknown>, unseen: string | undefined): Promise<void> {
  await step(run, 'userEvents', 'EventBridge UserChanged (disabled)', userChanged(2, 'disabled'),
    (o) => o.result?.disabled === 2 && 'cascade disabled 2 tokens');
  await step(run, 'authorizer', 'REST TOKEN authorizer (disabled)', { ...restToken, authorizationToken: `Bearer ${unseen}` }, (o) => o.result?.policyDocument?.Statement?.[0]?.Effect === 'Deny' && 'Deny');
}

/** Deleting a token that came from a legacy credential (the legacy mark, then the delete). */
async function deleteLegacyToken(run: Run, appUrl: string): Promise<void> {
  const uuid = randomUUID();
  await (await fetch(`${appUrl}/_local/legacy-import`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ credentials: [{ tenantId: 'acme', userId: 'bob', uuid, secretSha256: sha256Hex('parity-secret') }] }) })).json();
  const legacyId = legacyTokenId(uuid);
  await step(run, 'deleteToken', 'HTTP API 2.0 DELETE /v1/tokens/{id}', httpEvent(ROUTES.deleteToken, BOB, { path: `/v1/tokens/${legacyId}`, params: { id: legacyId } }),
    (o) => o.result?.statusCode === 204 && '204, legacy UUID revoked');
}

/** Every function's events reached the local bus endpoint. */
function checkPublished(run: Run, published: Rig['published']): void {
  const types = published.map((p) => p.detailType);
  const expected = ['TokenCreated', 'TokenDisabled', 'TokenDeleted'];
  run.steps.push({ fn: 'userEvents', event: 'EventBridge PutEvents (all functions)', outcome: `published ${types.join(', ')}`, ok: expected.every((t) => types.includes(t)), ms: 0 });
  run.log(`${run.steps.at(-1)!.ok ? 'ok  ' : 'FAIL'} ${'(bus)'.padEnd(12)} ${'PutEvents to the local endpoint'.padEnd(34)} ${run.steps.at(-1)!.outcome}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  // --without deleteToken:dynamodb:PutItem (repeatable): run a deliberately wrong configuration.
  const without = process.argv.flatMap((a, i) => (process.argv[i - 1] === '--without' ? [a] : []));
  if (without.length) console.log(`policies changed on purpose: without ${without.join(', ')}`);
  const report = await runParity((line) => console.log(line), { without });
  console.log(report.ok ? `parity: all ${report.steps.length} steps passed` : 'parity: FAILED');
  process.exit(report.ok ? 0 : 1);
}
