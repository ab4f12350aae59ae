// Serializability checks for token writes racing owner changes: a model of what each request does
// when requests run one at a time (docs/rules.md §1.1–§1.10), and a driver that runs the same
// requests against the local runtime and reads back the final state. A concurrent run is correct
// when its answers and final state are those of the model for some order of the requests.
import { expect } from 'vitest';
import { permissionsOf } from '../../shared/catalog.ts';
import { ownerRefOf } from '../../shared/token-value.ts';
import type { Reply, TestApp } from './app.ts';

export type OwnerChange = 'disable' | 'enable' | 'narrow' | 'sso' | 'delete';
export type Op =
  | { kind: 'create' } // the owner creates a token with T0's permissions
  | { kind: 'enable' } // the owner PATCHes T0 enabled: true
  | { kind: 'disable' } // the owner PATCHes T0 enabled: false
  | { kind: 'renew' } // the owner renews T0
  | { kind: 'delete' } // the owner deletes T0
  | { kind: 'owner'; change: OwnerChange }; // the identity system changes the owner

export const PERMS = ['events:read', 'rules:read'];
const NARROWED = ['events:read', 'nodes:read'];
const ROLE = 'analyst';

interface OwnerState {
  version: number;
  status: 'active' | 'disabled' | 'deleted';
  sso: boolean;
  explicit: string[] | null;
}
interface TokenState {
  exists: boolean;
  enabled: boolean;
  reason: string | null;
  perms: string[];
  /** Which value works: 0 the first, else the op index of the renew that made it. */
  gen: number;
}
interface ModelState {
  owner: OwnerState;
  tokens: Map<string, TokenState>;
}

/**
 * What a run shows: each answer, each token, and what the authorizer does with each value.
 * Answers are statuses, except that 403 and 409 both count as a refusal: a request that checks
 * its caller and then the token's owner (the same user) may refuse at either check when the
 * owner is disabled between them, with the same outcome.
 */
export interface Observed {
  answers: (number | 'refused')[];
  tokens: Record<string, { exists: boolean; status?: string; reason?: string | null; perms?: string[] }>;
  /** value name → 403, or the permissions granted. */
  accepts: Record<string, string[] | 403>;
}

const held = (o: OwnerState): string[] => (o.status === 'deleted' ? [] : permissionsOf(ROLE, o.explicit));
const blocked = (o: OwnerState) => o.status !== 'active' || o.sso;

function ownerEvent(change: OwnerChange, version: number, owner: OwnerState): OwnerState {
  switch (change) {
    case 'disable':
      return { version, status: 'disabled', sso: false, explicit: null };
    case 'enable':
      return { version, status: 'active', sso: false, explicit: null };
    case 'narrow':
      return { version, status: 'active', sso: false, explicit: NARROWED };
    case 'sso':
      return { version, status: 'active', sso: true, explicit: null };
    case 'delete':
      return { ...owner, version, status: 'deleted', explicit: [] };
  }
}

function cascade(s: ModelState): void {
  const o = s.owner;
  const reason = o.status === 'deleted' ? 'owner_deleted' : o.status === 'disabled' ? 'owner_disabled' : o.sso ? 'owner_sso' : null;
  const h = held(o);
  for (const t of s.tokens.values()) {
    if (!t.exists) continue;
    t.perms = t.perms.filter((p) => h.includes(p));
    if (t.enabled && (reason || t.perms.length === 0)) {
      t.enabled = false;
      t.reason = reason ?? 'permissions_revoked';
    }
  }
}

/** Applies op number `i` (its index in the schedule) serially; returns its answer's status. */
function apply(s: ModelState, op: Op, i: number, version: number): number {
  const t0 = s.tokens.get('T0')!;
  // Every token request is the owner's: token routes refuse a blocked caller.
  if (op.kind !== 'owner' && blocked(s.owner)) return 403;
  switch (op.kind) {
    case 'create':
      if (!PERMS.every((p) => held(s.owner).includes(p))) return 403;
      s.tokens.set(`c${i}`, { exists: true, enabled: true, reason: null, perms: [...PERMS], gen: 0 });
      return 201;
    case 'enable':
      if (!t0.exists) return 404;
      if (t0.enabled) return 200;
      if (t0.perms.length === 0) return 409;
      if (!t0.perms.every((p) => held(s.owner).includes(p))) return 403;
      Object.assign(t0, { enabled: true, reason: null });
      return 200;
    case 'disable':
      if (!t0.exists) return 404;
      if (t0.enabled) Object.assign(t0, { enabled: false, reason: 'manual' });
      return 200;
    case 'renew':
      if (!t0.exists) return 404;
      t0.gen = i + 1;
      return 200;
    case 'delete':
      if (!t0.exists) return 404;
      t0.exists = false;
      return 204;
    case 'owner':
      if (version > s.owner.version) s.owner = ownerEvent(op.change, version, s.owner);
      if (version >= s.owner.version) cascade(s);
      return 200;
  }
}

export interface Start {
  t0Enabled: boolean;
}

function observeModel(s: ModelState, answers: Observed['answers'], renewsAnswered: number[]): Observed {
  const tokens: Observed['tokens'] = {};
  const accepts: Observed['accepts'] = {};
  const h = held(s.owner);
  const accept = (t: TokenState | undefined, gen: number) => {
    if (!t || !t.exists || !t.enabled || t.gen !== gen || blocked(s.owner)) return 403;
    const granted = t.perms.filter((p) => h.includes(p));
    return granted.length ? granted : 403;
  };
  for (const [name, t] of s.tokens) {
    tokens[name] = t.exists ? { exists: true, status: t.enabled ? 'enabled' : 'disabled', reason: t.enabled ? null : t.reason, perms: t.perms } : { exists: false };
    if (name !== 'T0') accepts[name] = accept(t, 0);
  }
  accepts['T0'] = accept(s.tokens.get('T0'), 0);
  for (const i of renewsAnswered) accepts[`T0@${i}`] = accept(s.tokens.get('T0'), i + 1);
  return { answers, tokens, accepts };
}

const answerOf = (status: number) => (status === 403 || status === 409 ? 'refused' : status);

/** Versions of the owner events, in schedule order, after the start's version 1. */
export const versionsOf = (ops: Op[]) => {
  let v = 1;
  return ops.map((op) => (op.kind === 'owner' ? ++v : 0));
};

/**
 * The model's observation for the given order of the schedule's ops, then (as a second
 * observation) after a final "owner re-activated" event: the defects hid until then.
 */
export function serialOutcome(start: Start, ops: Op[], order: number[], real: Observed): [Observed, Observed] {
  const versions = versionsOf(ops);
  const s: ModelState = {
    owner: { version: 1, status: 'active', sso: false, explicit: null },
    tokens: new Map([['T0', { exists: true, enabled: start.t0Enabled, reason: start.t0Enabled ? null : 'manual', perms: [...PERMS], gen: 0 }]]),
  };
  const answers: Observed['answers'] = ops.map(() => 0);
  for (const i of order) answers[i] = answerOf(apply(s, ops[i], i, versions[i]));
  // The values the real run got from renews: each works only if its renew was the last one.
  const renews = ops.flatMap((op, i) => (op.kind === 'renew' && real.answers[i] === 200 ? [i] : []));
  const first = observeModel(s, answers, renews);
  apply(s, { kind: 'owner', change: 'enable' }, ops.length, Math.max(1, ...versions) + 1);
  return [first, observeModel(s, answers, renews)];
}

/** JSON with object keys sorted, so the order in which tokens were seen does not matter. */
const canon = (x: unknown): string =>
  JSON.stringify(x, (_, v) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b))) : v));

function* permutations(items: number[]): Generator<number[]> {
  if (items.length <= 1) {
    yield items;
    return;
  }
  for (let k = 0; k < items.length; k++) {
    const rest = [...items.slice(0, k), ...items.slice(k + 1)];
    for (const p of permutations(rest)) yield [items[k], ...p];
  }
}

/** A 409 that says "concurrently" is a request that lost every retry and changed nothing. */
export const lostRace = (r: Reply) => r.status === 409 && /concurrently/.test(r.body?.error?.message ?? '');

/** Asserts that some order of the ops (leaving out those that lost a race) gives what was observed. */
export function expectSerializable(start: Start, ops: Op[], replies: Reply[], observed: [Observed, Observed]): void {
  const kept = ops.map((_, i) => i).filter((i) => !lostRace(replies[i]));
  const want = canon(observed);
  const tried: string[] = [];
  for (const order of permutations(kept)) {
    const model = serialOutcome(start, ops, order, observed[0]);
    for (const i of ops.keys()) if (!kept.includes(i)) model[0].answers[i] = model[1].answers[i] = observed[0].answers[i];
    const got = canon(model);
    if (got === want) return;
    tried.push(`${order.join(',')}: ${got}`);
  }
  expect.fail(`no serial order of ${JSON.stringify(ops)} gives\n${want}\nserial orders give:\n${tried.join('\n')}`);
}

/** Runs schedules against the local runtime, each on a fresh owner. */
let users = 0;

export class Driver {
  private admin?: string;
  constructor(
    private readonly app: TestApp,
    private readonly prefix: string,
  ) {}

  /** A fresh owner (version 1, active analyst) with token T0, disabled by hand unless t0Enabled. */
  async start(start: Start) {
    const app = this.app;
    this.admin ??= await app.login('alice');
    const userId = `${this.prefix}-${++users}`;
    const base = { tenantId: 'acme', userId, role: ROLE, authMethod: 'password', status: 'active' };
    const first = await app.userEvent('UserChanged', { ...base, version: 1 });
    if (first.status !== 200) throw new Error(first.text);
    const jwt = await app.login(userId);
    const t0 = await app.createToken(jwt, { name: 'T0', permissions: PERMS });
    if (!start.t0Enabled) await app.request('PATCH', `/v1/tokens/${t0.token.id}`, { jwt, body: { enabled: false } });
    const admin = this.admin;
    const created = new Map<number, { id: string; value: string }>();
    const renewed = new Map<number, string>();
    const run = (op: Op, i: number, version: number): Promise<Reply> => {
      const path = `/v1/tokens/${t0.token.id}`;
      switch (op.kind) {
        case 'create':
          return app.request('POST', '/v1/tokens', { jwt, body: { name: `c${i}`, permissions: PERMS } }).then((r) => {
            if (r.status === 201) created.set(i, { id: r.body.token.id, value: r.body.value });
            return r;
          });
        case 'enable':
          return app.request('PATCH', path, { jwt, body: { enabled: true } });
        case 'disable':
          return app.request('PATCH', path, { jwt, body: { enabled: false } });
        case 'renew':
          return app.request('POST', `${path}/renew`, { jwt, body: {} }).then((r) => {
            if (r.status === 200) renewed.set(i, r.body.value);
            return r;
          });
        case 'delete':
          return app.request('DELETE', path, { jwt });
        case 'owner':
          return op.change === 'delete'
            ? app.userEvent('UserDeleted', { tenantId: 'acme', userId, version })
            : app.userEvent('UserChanged', { ...base, version, ...eventDetail(op.change) });
      }
    };
    const observe = async (replies: Reply[]): Promise<Observed> => {
      const tokens: Observed['tokens'] = {};
      const accepts: Observed['accepts'] = {};
      const read = async (id: string) => {
        const r = await app.request('GET', `/v1/tokens/${id}`, { jwt: admin });
        return r.status === 404 ? { exists: false } : { exists: true, status: r.body.status, reason: r.body.disabledReason, perms: r.body.permissions };
      };
      const accept = async (value: string) => {
        const r = await app.callExample(value);
        return r.status === 200 ? (r.body.context.permissions as string).split(' ').filter(Boolean) : (403 as const);
      };
      tokens['T0'] = await read(t0.token.id);
      for (const [i, c] of created) {
        tokens[`c${i}`] = await read(c.id);
        accepts[`c${i}`] = await accept(c.value);
      }
      accepts['T0'] = await accept(t0.value);
      for (const [i, v] of renewed) accepts[`T0@${i}`] = await accept(v);
      return { answers: replies.map((r) => answerOf(r.status)), tokens, accepts };
    };
    /** Observes, re-activates the owner (the version after `last`), observes again. */
    const finish = async (replies: Reply[], last: number): Promise<[Observed, Observed]> => {
      const first = await observe(replies);
      const r = await app.userEvent('UserChanged', { ...base, version: last + 1 });
      if (r.status !== 200) throw new Error(r.text);
      return [first, await observe(replies)];
    };
    const ownerRef = ownerRefOf('acme', userId);
    /**
     * Whether a store call reads or writes this owner's tokens or projection (so schedules on other
     * owners can run alongside). Activity entries, revocation announcements and idempotency
     * records are left out: nothing in these schedules reads them back.
     */
    const concerns = (call: { body: unknown }) => {
      const text = JSON.stringify(call.body);
      if (/"(AUDIT#|REVOKED|IDEM#|USAGE#)/.test(text)) return false;
      return text.includes(ownerRef) || text.includes(`TOKEN#${t0.token.id}`);
    };
    return { userId, run, finish, concerns };
  }
}

function eventDetail(change: Exclude<OwnerChange, 'delete'>): Record<string, unknown> {
  switch (change) {
    case 'disable':
      return { status: 'disabled' };
    case 'enable':
      return {};
    case 'narrow':
      return { permissions: NARROWED };
    case 'sso':
      return { authMethod: 'sso' };
  }
}
