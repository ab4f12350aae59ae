// Optional /config.json next to index.html, written by the deployment (CDK static site):
// {"apiBase": "https://api.example.com", "localSignIn": false}. Without it the page talks to
// its own origin and offers the embedded default's /_local/login. The embedded default's own
// config.json also lists its demo users (`demoUsers`), so the bundle names none.
export interface PageConfig {
  apiBase: string;
  localSignIn: boolean;
  /** Shown in the header, e.g. "staging". */
  environment: string | null;
  /** Users the local sign-in offers as buttons; empty outside the embedded default. */
  demoUsers: DemoUser[];
}

export interface DemoUser {
  tenantId: string;
  userId: string;
  role: string;
  authMethod: string;
}

const isDemoUser = (u: unknown): u is DemoUser =>
  typeof u === 'object' && u !== null && ['tenantId', 'userId', 'role', 'authMethod'].every((k) => typeof (u as Record<string, unknown>)[k] === 'string');

export async function loadConfig(): Promise<PageConfig> {
  const fallback: PageConfig = { apiBase: '', localSignIn: true, environment: null, demoUsers: [] };
  let res: Response;
  try {
    res = await fetch('config.json', { cache: 'no-store', credentials: 'omit' });
  } catch {
    return fallback;
  }
  if (!res.ok) return fallback;
  const json = (await res.json().catch(() => ({}))) as Partial<Record<keyof PageConfig, unknown>>;
  return {
    apiBase: typeof json.apiBase === 'string' ? json.apiBase.replace(/\/+$/, '') : '',
    localSignIn: json.localSignIn === true,
    environment: typeof json.environment === 'string' ? json.environment : null,
    demoUsers: json.localSignIn === true && Array.isArray(json.demoUsers) ? json.demoUsers.filter(isDemoUser) : [],
  };
}
