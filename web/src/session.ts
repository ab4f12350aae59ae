// The access token lives in sessionStorage only: it dies with the tab, never in localStorage or a cookie.
const KEY = 'tessera.accessToken';

export const session = {
  get: (): string | null => sessionStorage.getItem(KEY),
  set: (token: string) => sessionStorage.setItem(KEY, token),
  clear: () => sessionStorage.removeItem(KEY),
};
