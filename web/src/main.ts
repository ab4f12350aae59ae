// The "API tokens" console page: sign in, then the tokens table, or the reason the user has none.
import { Api, ApiError, type Me } from './api.ts';
import { loadConfig, type PageConfig } from './config.ts';
import { h, replace, uid } from './dom.ts';
import { session } from './session.ts';
import { activityView } from './activity.ts';
import { tokensView } from './tokens.ts';
import { alertRegion, announce, hideToast } from './ui.ts';

const main = document.getElementById('main')!;
const account = document.getElementById('account')!;
let config: PageConfig;
let api: Api;

function focusMain() {
  (main.querySelector<HTMLElement>('h1') ?? main).focus();
}

function signOut(reason?: unknown) {
  session.clear();
  for (const d of document.querySelectorAll('dialog')) d.close();
  replace(account);
  showSignIn(reason);
}

// ---------------------------------------------------------------- sign in

type SignIn = (run: () => Promise<string>, form: HTMLElement) => Promise<void>;

/** Local: one button per demo user, and any other user id (e.g. one sent through /_local/events). */
function localSignIn(signIn: SignIn): HTMLElement {
  const users = config.demoUsers;
  const tenants = [...new Set(users.map((u) => u.tenantId))];
  const picker = h('div', { class: 'user-picker' },
    tenants.map((tenant) => {
      const id = uid('tenant');
      return h('div', { role: 'group', 'aria-labelledby': id },
        h('h3', { id }, `Tenant ${tenant}`),
        h('ul', { class: 'users' }, users.filter((u) => u.tenantId === tenant).map((u) =>
          h('li', null, h('button', {
            type: 'button', class: 'user', 'data-user': u.userId,
            on: { click: (e: Event) => void signIn(async () => (await api.localLogin(u.tenantId, u.userId)).accessToken, e.currentTarget as HTMLElement) },
          }, h('span', { class: 'avatar', 'aria-hidden': 'true' }, u.userId[0].toUpperCase()),
             h('span', { class: 'who' }, h('strong', null, u.userId), h('span', { class: 'muted' }, `${u.role}${u.authMethod === 'sso' ? ' · SSO' : ''}`)))))),
      );
    }));
  const tId = uid('tenant-id');
  const uId = uid('user-id');
  const other = h('form', { class: 'inline-form' },
    h('div', { class: 'field' }, h('label', { for: tId }, 'Tenant'), h('input', { id: tId, name: 'tenant', value: 'acme', required: true, autocomplete: 'off' })),
    h('div', { class: 'field' }, h('label', { for: uId }, 'User id'), h('input', { id: uId, name: 'user', required: true, autocomplete: 'off' })),
    h('button', { type: 'submit' }, 'Sign in'),
  );
  other.addEventListener('submit', (e) => {
    e.preventDefault();
    const data = new FormData(other);
    const field = (name: string) => { const v = data.get(name); return typeof v === 'string' ? v.trim() : ''; };
    const tenant = field('tenant');
    const user = field('user');
    if (tenant && user) void signIn(async () => (await api.localLogin(tenant, user)).accessToken, other);
  });
  return h('section', { class: 'card' },
    h('h2', null, 'Sign in as a demo user'),
    h('p', { class: 'muted' }, 'The embedded default signs you in through ', h('code', null, 'POST /_local/login'), '. This route does not exist in AWS.'),
    picker,
    h('details', null, h('summary', null, 'Another user'), other),
  );
}

/** Anywhere: paste an access token (JWT) from the configured OIDC issuer. */
function pasteSignIn(signIn: SignIn): HTMLElement {
  const pasteId = uid('paste');
  const pasteInput = h('input', { id: pasteId, type: 'password', name: 'access-token', autocomplete: 'off', spellcheck: 'false', required: true, class: 'mono' });
  const paste = h('form', { class: 'paste' },
    h('div', { class: 'field' },
      h('label', { for: pasteId }, 'Access token'),
      pasteInput,
      h('p', { class: 'hint' }, 'A JWT from your identity provider for this environment. It is kept in this tab’s session storage only.')),
    h('button', { type: 'submit', class: config.localSignIn ? '' : 'primary' }, 'Use this token'),
  );
  paste.addEventListener('submit', (e) => {
    e.preventDefault();
    const token = pasteInput.value.trim().replace(/^Bearer\s+/i, '');
    if (token) void signIn(async () => token, paste);
  });
  return config.localSignIn
    ? h('details', { class: 'card' }, h('summary', null, 'Sign in with an access token instead'), paste)
    : h('section', { class: 'card' }, h('h2', null, 'Sign in'), paste);
}

function showSignIn(reason?: unknown) {
  const alert = alertRegion();
  const signIn: SignIn = async (run, form) => {
    form.setAttribute('aria-busy', 'true');
    alert.clear();
    try {
      session.set(await run());
      await start();
    } catch (e) {
      session.clear();
      alert.show(e);
    } finally {
      form.removeAttribute('aria-busy');
    }
  };
  replace(main,
    h('section', { class: 'page narrow' },
      h('h1', { tabindex: -1 }, 'Sign in'),
      h('p', { class: 'lead' }, 'Manage the API tokens that scripts and integrations use to call the product’s APIs.'),
      alert.el,
      config.localSignIn ? localSignIn(signIn) : null,
      pasteSignIn(signIn),
    ),
  );
  if (reason) alert.show(reason);
  focusMain();
}

// ---------------------------------------------------------------- signed in

function renderAccount(me: Me) {
  replace(account,
    h('span', { class: 'account-who' },
      h('strong', null, me.user.userId),
      h('span', { class: 'muted' }, ` · ${me.user.role} · ${me.user.tenantId}`)),
    h('button', { type: 'button', class: 'small', on: { click: () => { signOut(); announce('Signed out.'); } } }, 'Sign out'),
  );
}

function noTokens(me: Me): HTMLElement {
  return h('section', { class: 'page narrow' },
    h('h1', { tabindex: -1 }, 'API tokens'),
    h('div', { class: 'card explain', 'data-testid': 'no-tokens' },
      h('h2', null, 'API tokens are not available for your account'),
      h('p', null, me.reason ?? 'Your account cannot hold API tokens.')),
  );
}

async function start() {
  replace(main, h('p', { class: 'muted', 'aria-busy': 'true' }, 'Loading…'));
  let me: Me;
  try {
    me = await api.me();
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return; // signOut() already showed the sign-in form
    session.clear();
    showSignIn(e);
    return;
  }
  renderAccount(me);
  hideToast();
  if (!me.canUseTokens) {
    replace(main, noTokens(me));
    focusMain();
    return;
  }
  // Two views, one page: the tokens table and the activity log.
  const content = h('div');
  const tabs = (['Tokens', 'Activity'] as const).map((label) =>
    h('button', { type: 'button', class: 'tab', 'data-view': label.toLowerCase(), on: { click: () => show(label) } }, label));
  const show = (view: 'Tokens' | 'Activity') => {
    for (const t of tabs) t.setAttribute('aria-current', String(t.textContent === view));
    replace(content, view === 'Tokens' ? tokensView(api, me) : activityView(api, me));
    focusMain();
  };
  replace(main, h('nav', { class: 'views', 'aria-label': 'Views' }, tabs), content);
  show('Tokens');
}

async function boot() {
  config = await loadConfig();
  if (config.environment) document.getElementById('env')!.textContent = config.environment;
  api = new Api(config.apiBase, session.get, (error) => signOut(error));
  if (session.get()) await start();
  else showSignIn();
}

void boot();
