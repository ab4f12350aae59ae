// The grants as data: each store function declares the actions its commands send, and every
// route and job has an entry composed from the operations its handler runs. Whether a function
// works under exactly its entry is what the local IAM checks (test/integration/iam.*.test.ts).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ACCESS, NO_ACCESS, accessOf, grantableActions } from '../../infra/access.ts';
import { REPO_ROOT } from '../../infra/bundling.ts';
import type { Needs } from '../../shared/grants.ts';
import { JOBS, ROUTE_LIST } from '../../shared/routes.ts';
import { TABLE } from '../../shared/store/table.ts';
import { VAULT_NEEDS } from '../../shared/crypto/vault.ts';
import { ACTOR_NEEDS } from '../../shared/domain/actor.ts';
import { MAC_NEEDS } from '../../shared/crypto/mac.ts';
import { CURSOR_NEEDS } from '../../shared/http/cursor.ts';
import { IDEMPOTENCY_OPERATION_NEEDS } from '../../shared/domain/idempotency.ts';
import { AUDIT_OPERATION_NEEDS } from '../../shared/domain/audit.ts';
import { LEAK_REPORT_NEEDS } from '../../shared/domain/leaks.ts';
import { TTL_REMOVAL_NEEDS } from '../../shared/domain/removals.ts';
import { USAGE_OPERATION_NEEDS } from '../../shared/domain/usage.ts';
import { EXPIRY_OPERATION_NEEDS } from '../../shared/domain/expiry.ts';
import { LEGACY_IMPORT_NEEDS } from '../../shared/domain/legacy.ts';
import { ME_NEEDS } from '../../shared/domain/me.ts';
import { TOKEN_OPERATION_NEEDS } from '../../shared/domain/tokens.ts';
import { USER_OPERATION_NEEDS } from '../../shared/domain/users.ts';
import { VERIFY_NEEDS } from '../../shared/domain/verify.ts';
import { PUBLISH_NEEDS } from '../../shared/events/publish.ts';

const COMMAND_ACTION: Record<string, string> = {
  GetCommand: 'GetItem', BatchGetCommand: 'BatchGetItem', PutCommand: 'PutItem', UpdateCommand: 'UpdateItem', DeleteCommand: 'DeleteItem',
};

/** Every module of shared/store/ (a new one is checked without being listed here). */
const STORE_MODULES = readdirSync(join(REPO_ROOT, 'shared', 'store')).filter((f) => f.endsWith('.ts')).map((f) => `shared/store/${f}`);

/** Every store function that sends a command, by name. */
const sendingStoreFunctions = () => new Set(STORE_MODULES.flatMap((f) => Object.keys(sentBy(f))));

/** The module's `*_NEEDS` export: store function name -> needs. */
async function storeNeedsOf(file: string): Promise<Record<string, Needs>> {
  const mod = (await import(join(REPO_ROOT, file))) as Record<string, unknown>;
  return Object.assign({}, ...Object.entries(mod).filter(([k]) => k.endsWith('_NEEDS')).map(([, v]) => v)) as Record<string, Needs>;
}

interface Sent {
  actions: Set<string>;
  /** Functions it calls: of the same module, or imported from another store module. */
  calls: { module: string; name: string }[];
}

/** A store module's top-level functions and what each sends itself, read from its source. */
function parseStoreModule(file: string): Record<string, Sent> {
  const source = readFileSync(join(REPO_ROOT, file), 'utf8');
  const imported = new Map<string, { module: string; name: string }>();
  for (const m of source.matchAll(/^import (?:type )?\{([^}]*)\} from '\.\/([\w-]+)\.ts';/gm)) {
    for (const part of m[1].split(',').map((p) => p.trim()).filter((p) => p && !p.startsWith('type '))) {
      const [name, local] = part.split(/\s+as\s+/);
      imported.set(local ?? name, { module: `shared/store/${m[2]}.ts`, name });
    }
  }
  const found: Record<string, Sent> = {};
  const parts = source.split(/^(?=export (?:async )?function|(?:async )?function)/m).slice(1);
  for (const part of parts) {
    const name = part.match(/function\*? (\w+)/)![1];
    const body = part.replace(/^export /, '').split(/^(?:export |const |let |interface |type )/m)[0];
    const actions = new Set<string>();
    for (const m of body.matchAll(/new (\w+Command)\(/g)) if (m[1] !== 'QueryCommand') actions.add(COMMAND_ACTION[m[1]] ?? `unknown ${m[1]}`);
    for (const m of body.matchAll(/IndexName: '(\w+)'/g)) actions.add(`Query:${m[1]}`);
    if (/IndexName: where\.index/.test(body)) for (const i of ['byOwner', 'byTenant']) actions.add(`Query:${i}`);
    // An index chosen at run time: each index the function names, and the base table if it may be none.
    if (/IndexName: (?!'|where\.index)\w+/.test(body)) {
      for (const i of TABLE.indexes) if (body.includes(`'${i.name}'`)) actions.add(`Query:${i.name}`);
      if (/\[undefined,/.test(body)) actions.add('Query');
    }
    if (/new QueryCommand\(/.test(body) && !/IndexName/.test(body)) actions.add('Query');
    // The paged reads (shared/store/paging.ts): the index a partition names, or the table itself.
    for (const m of body.matchAll(/TOKEN_INDEXES\.(\w+)/g)) actions.add(`Query:${m[1]}`);
    if (/TOKEN_INDEXES\[where\.index\]/.test(body)) for (const i of ['byOwner', 'byTenant']) actions.add(`Query:${i}`);
    for (const m of body.matchAll(/indexName: '(\w+)'/g)) actions.add(`Query:${m[1]}`);
    if (/(?:listPage|queryPages)\(/.test(body) && /partitionKey: 'pk'/.test(body)) actions.add('Query');
    // The reads of the verification path, whichever transport carries them (shared/store/reads.ts).
    if (/\breads\.get\(/.test(body)) actions.add('GetItem');
    if (/\breads\.batchGet\(/.test(body)) actions.add('BatchGetItem');
    if (/\breads\.query\(/.test(body)) actions.add('Query');
    const calls = [...body.matchAll(/(?<![.\w])(\w+)\(/g)].map((c) => c[1]).filter((c) => c !== name)
      .map((c) => imported.get(c) ?? { module: file, name: c });
    found[name] = { actions, calls };
  }
  return found;
}

const PARSED = new Map<string, Record<string, Sent>>();
const parsed = (file: string) => PARSED.get(file) ?? PARSED.set(file, parseStoreModule(file)).get(file)!;

/** Everything a store function sends, following its calls into the store layer. */
function sendsOf(file: string, name: string, seen = new Set<string>()): Set<string> {
  const key = `${file}#${name}`;
  const out = new Set<string>();
  const fn = existsSync(join(REPO_ROOT, file)) ? parsed(file)[name] : undefined;
  if (!fn || seen.has(key)) return out;
  seen.add(key);
  for (const a of fn.actions) out.add(a);
  for (const c of fn.calls) for (const a of sendsOf(c.module, c.name, seen)) out.add(a);
  return out;
}

/** The exported functions of a store module that send something, with what they send. */
function sentBy(file: string): Record<string, Set<string>> {
  const source = readFileSync(join(REPO_ROOT, file), 'utf8');
  const exported = new Set([...source.matchAll(/^export (?:async )?function\*? (\w+)/gm)].map((m) => m[1]));
  return Object.fromEntries([...exported].map((n) => [n, sendsOf(file, n)] as const).filter(([, a]) => a.size > 0));
}

function declared(n: Needs): string[] {
  const names = n.map((x) => (x.kind === 'table' ? x.action : x.kind === 'query' ? `Query:${x.index}` : x.kind === 'valueKey' ? `kms:${x.action}` : x.kind));
  return [...new Set(names)].sort();
}

describe('grants as data', () => {
  it('has a needs declaration in every store module that sends commands', async () => {
    for (const file of STORE_MODULES) {
      if (Object.keys(sentBy(file)).length > 0) expect(Object.keys(await storeNeedsOf(file)).length, file).toBeGreaterThan(0);
    }
  });

  for (const file of STORE_MODULES) {
    it(`declares exactly the commands each function of ${file} sends`, async () => {
      const table = await storeNeedsOf(file);
      const found = sentBy(file);
      expect(Object.keys(table).sort()).toEqual(Object.keys(found).sort());
      for (const [name, actions] of Object.entries(found)) expect(declared(table[name]), name).toEqual([...actions].sort());
    });
  }

  it('has exactly one entry per route and per job', () => {
    const ids = [...ROUTE_LIST.map((r) => r.id), ...Object.keys(JOBS)].sort();
    expect(Object.keys(ACCESS).sort()).toEqual(ids);
  });

  it('queries only indexes that the table defines', () => {
    const indexes = TABLE.indexes.map((i) => i.name) as string[];
    for (const a of Object.values(ACCESS)) for (const q of a.query) expect(indexes).toContain(q);
    expect(() => accessOf([{ kind: 'query', index: 'byNothing' }])).toThrow(/unknown index/);
  });

  it('gives public and example routes no store, key or bus access', () => {
    for (const id of ['health', 'openapi', 'exampleWhoami', 'exampleEvents'] as const) expect(ACCESS[id]).toEqual(NO_ACCESS);
  });

  it('lets only create and renew seal values, and only them (idempotent replays) and the value route open them', () => {
    const with_ = (action: 'GenerateDataKey' | 'Decrypt') => Object.entries(ACCESS).filter(([, a]) => a.valueKey.includes(action)).map(([id]) => id).sort();
    expect(with_('GenerateDataKey')).toEqual(['createToken', 'renewToken']);
    expect(with_('Decrypt')).toEqual(['createToken', 'renewToken', 'tokenValue']);
  });

  it('covers the rare paths: the legacy mark before a delete, the owner re-check after a create or an import', () => {
    expect(grantableActions(ACCESS.deleteToken)).toContain('dynamodb:PutItem');
    expect(grantableActions(ACCESS.createToken)).toContain('dynamodb:UpdateItem');
    // The re-check disables a token whose owner was disabled meanwhile, and says so on the bus.
    expect(grantableActions(ACCESS.legacyImport)).toContain('events:PutEvents');
  });

  it('grants no function a write it has no operation for', () => {
    expect(grantableActions(ACCESS.getToken)).toEqual(['dynamodb:GetItem']);
    expect(grantableActions(ACCESS.listTokens)).toEqual(['dynamodb:GetItem', 'dynamodb:Query', 'kms:GenerateMac']);
    expect(ACCESS.listTokens.query).toEqual(['byOwner', 'byTenant']);
  });
});

// ---- the domain layer: each operation declares exactly the needs of the calls it can make ----

/** Imported name -> the needs its call brings (store functions, the vault, publishing, other operations). */
const CALLEE_NEEDS: Record<string, Needs> = {
  ...Object.assign({}, ...(await Promise.all(STORE_MODULES.map(storeNeedsOf)))),
  ...VAULT_NEEDS,
  publish: PUBLISH_NEEDS,
  cascadeOne: USER_OPERATION_NEEDS.cascadeOne,
  insertFindable: USER_OPERATION_NEEDS.insertFindable,
  settleWithOwner: USER_OPERATION_NEEDS.settleWithOwner,
  recordActivity: AUDIT_OPERATION_NEEDS.recordActivity,
  visibleToken: TOKEN_OPERATION_NEEDS.visibleToken,
  ...MAC_NEEDS,
  ...CURSOR_NEEDS,
  ...IDEMPOTENCY_OPERATION_NEEDS,
  loadUser: ACTOR_NEEDS,
  requireTokenActor: ACTOR_NEEDS,
};

/** What each function of a module can send, following calls within the module, read from its source. */
function reachableNeeds(file: string): Record<string, string[]> {
  const source = readFileSync(join(REPO_ROOT, file), 'utf8');
  const alias = new Map<string, string>();
  const fromStore = new Set<string>();
  for (const m of source.matchAll(/^import (?:type )?\{([^}]*)\} from '([^']+)';/gms)) {
    for (const part of m[1].split(',').map((p) => p.trim()).filter((p) => p && !p.startsWith('type '))) {
      const [imported, local] = part.split(/\s+as\s+/);
      alias.set(local ?? imported, imported);
      if (/\/store\/(?!client|keys|table)/.test(m[2])) fromStore.add(local ?? imported);
    }
  }
  // Top-level functions and arrow-function constants, each up to the next top-level declaration.
  const bodies = new Map<string, string>();
  const declaration = /^(?:export )?(?:(?:async )?function\*? (\w+)|const (\w+)(?::[^=]+)? = (?:async )?(?:\([^)]*\)|\w+)(?::[^=]+)? =>)/gm;
  const starts = [...source.matchAll(declaration)];
  const ends = [...source.matchAll(/^(?:export |const |let |function |async function |interface |type |class )/gm)].map((m) => m.index!);
  for (const m of starts) {
    const end = ends.find((e) => e > m.index!) ?? source.length;
    bodies.set(m[1] ?? m[2], source.slice(m.index! + m[0].length, end));
  }
  // Other top-level constants (a watcher built at load time): what their initializers call is
  // reached by every function that uses them.
  for (const m of source.matchAll(/^(?:export )?const (\w+)(?::[^=]+)? = (?!(?:async )?(?:\([^)]*\)|\w+)(?::[^=]+)? =>)/gm)) {
    if (bodies.has(m[1])) continue;
    const end = ends.find((e) => e > m.index!) ?? source.length;
    const init = source.slice(m.index! + m[0].length, end);
    if (/(?<![.\w])\w+\(/.test(init)) bodies.set(m[1], init);
  }
  const memo = new Map<string, Set<string>>();
  const walk = (name: string, seen: Set<string>): Set<string> => {
    if (memo.has(name)) return memo.get(name)!;
    const out = new Set<string>();
    const body = bodies.get(name) ?? '';
    const used = [...body.matchAll(/(?<![.\w])(\w+)(?:\(|\.)/g)].map((m) => m[1]);
    for (const callee of used) {
      const imported = alias.get(callee);
      // A store function that sends a command must have declared its needs.
      if (imported && fromStore.has(callee) && sendingStoreFunctions().has(imported) && !CALLEE_NEEDS[imported]) out.add(`undeclared store function ${imported}`);
      if (imported && CALLEE_NEEDS[imported]) for (const n of declared(CALLEE_NEEDS[imported])) out.add(n);
      else if (bodies.has(callee) && callee !== name && !seen.has(callee)) for (const n of walk(callee, new Set([...seen, name]))) out.add(n);
    }
    memo.set(name, out);
    return out;
  };
  return Object.fromEntries([...bodies.keys()].map((n) => [n, [...walk(n, new Set())].sort()]));
}

describe('grants as data: operations', () => {
  const cases: [string, string, Needs][] = [
    ...Object.entries(TOKEN_OPERATION_NEEDS).map(([op, n]) => ['shared/domain/tokens.ts', op, n] as [string, string, Needs]),
    ...Object.entries(USER_OPERATION_NEEDS).map(([op, n]) => ['shared/domain/users.ts', op, n] as [string, string, Needs]),
    ...Object.entries(AUDIT_OPERATION_NEEDS).map(([op, n]) => ['shared/domain/audit.ts', op, n] as [string, string, Needs]),
    ['shared/domain/leaks.ts', 'handleLeakReport', LEAK_REPORT_NEEDS],
    ...Object.entries(IDEMPOTENCY_OPERATION_NEEDS).map(([op, n]) => ['shared/domain/idempotency.ts', op, n] as [string, string, Needs]),
    ['shared/domain/removals.ts', 'recordTtlRemovals', TTL_REMOVAL_NEEDS],
    ...Object.entries(USAGE_OPERATION_NEEDS).map(([op, n]) => ['shared/domain/usage.ts', op, n] as [string, string, Needs]),
    ['shared/domain/verify.ts', 'verify', VERIFY_NEEDS],
    ['shared/domain/legacy.ts', 'importLegacy', LEGACY_IMPORT_NEEDS],
    ...Object.entries(EXPIRY_OPERATION_NEEDS).map(([op, n]) => ['shared/domain/expiry.ts', op, n] as [string, string, Needs]),
    ['shared/domain/actor.ts', 'requireTokenActor', ACTOR_NEEDS],
    ['shared/domain/me.ts', 'describeMe', ME_NEEDS],
  ];
  for (const [file, op, declaredNeeds] of cases) {
    it(`declares for ${op} exactly what its calls can send (${file})`, () => {
      const reachable = reachableNeeds(file)[op];
      expect(reachable, `${op} not found in ${file}`).toBeDefined();
      expect(declared(declaredNeeds), `${op}: reachable ${reachable.join(' ')}`).toEqual(reachable);
    });
  }
});

describe('grants as data: functions', () => {
  /** Operation name -> its needs, as the handlers import them. */
  const OPERATION_NEEDS: Record<string, Needs> = {
    ...TOKEN_OPERATION_NEEDS,
    applyUserEvent: USER_OPERATION_NEEDS.applyUserEvent,
    verify: VERIFY_NEEDS,
    importLegacy: LEGACY_IMPORT_NEEDS,
    ...EXPIRY_OPERATION_NEEDS,
    requireTokenActor: ACTOR_NEEDS,
    loadUser: ACTOR_NEEDS,
    describeMe: ME_NEEDS,
    ...USAGE_OPERATION_NEEDS,
    listActivity: AUDIT_OPERATION_NEEDS.listActivity,
    handleLeakReport: LEAK_REPORT_NEEDS,
    recordTtlRemovals: TTL_REMOVAL_NEEDS,
  };
  const entries: [string, string][] = [
    ...ROUTE_LIST.map((r) => [r.id, r.entry] as [string, string]),
    ...Object.entries(JOBS).map(([id, j]) => [id, j.entry] as [string, string]),
  ];
  for (const [id, entry] of entries) {
    it(`grants ${id} exactly the needs of the operations its handler calls (${entry})`, () => {
      const source = readFileSync(join(REPO_ROOT, entry), 'utf8');
      const called = [...source.matchAll(/(?<![.\w])(\w+)\(/g)].map((m) => m[1]).filter((n) => OPERATION_NEEDS[n]);
      expect(ACCESS[id as keyof typeof ACCESS], id).toEqual(accessOf(...called.map((n) => OPERATION_NEEDS[n])));
    });
  }
});
