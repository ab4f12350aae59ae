// Which permissions each route of an API requires (rules.md §4.3): the map's type, and its text
// form in a stage variable, through which an API in another stack gives its own map.

export type PermissionMap = Readonly<Record<string, readonly string[]>>;

/** The stage variable through which an API in another stack gives its own permission map. */
export const STAGE_PERMISSIONS_VARIABLE = 'tesseraPermissions';

/** base64url(JSON {route: [permissions]}), as the TesseraAuthorizer construct writes it. */
export const encodeStageMap = (map: PermissionMap): string => Buffer.from(JSON.stringify(map)).toString('base64url');

export function decodeStageMap(text: string): PermissionMap | 'invalid' {
  try {
    const map = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as unknown;
    const valid = map !== null && typeof map === 'object' && !Array.isArray(map)
      && Object.values(map).every((v) => Array.isArray(v) && v.every((p) => typeof p === 'string'));
    return valid ? (map as PermissionMap) : 'invalid';
  } catch {
    return 'invalid';
  }
}
