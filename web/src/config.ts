// Optional /config.json next to index.html, written by the deployment (CDK static site):
// {"apiBase": "https://api.example.com", "localSignIn": false}. Without it the page talks to
// its own origin and offers the embedded default's /_local/login.
export interface PageConfig {
  apiBase: string;
  localSignIn: boolean;
  /** Shown in the header, e.g. "staging". */
  environment: string | null;
}

export async function loadConfig(): Promise<PageConfig> {
  const fallback: PageConfig = { apiBase: '', localSignIn: true, environment: null };
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
  };
}
