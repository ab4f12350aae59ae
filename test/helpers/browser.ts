// The Chromium the browser test drives: CHROMIUM_PATH when set, else a system Chromium, else the
// build that @sparticuz/chromium ships inside its npm package (Linux x64), extracted once per
// package version into the temporary folder. So `npm install && npm test` needs no apt step.
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type Browser =
  | { executablePath: string; env: Record<string, string>; source: string }
  | { unavailable: string };

const SYSTEM = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

export async function testChromium(): Promise<Browser> {
  const explicit = process.env.CHROMIUM_PATH;
  if (explicit) {
    if (!existsSync(explicit)) throw new Error(`CHROMIUM_PATH is set to ${explicit}, which does not exist.`);
    return { executablePath: explicit, env: {}, source: 'CHROMIUM_PATH' };
  }
  const system = SYSTEM.find((p) => existsSync(p));
  if (system) return { executablePath: system, env: {}, source: system };
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    return {
      unavailable: `no Chromium found: the build in @sparticuz/chromium runs on Linux x64 only (this is ${process.platform} ${process.arch}); set CHROMIUM_PATH to a Chrome or Chromium to run it`,
    };
  }
  return packaged();
}

/**
 * Extracts into a private folder first and renames it into place, so two test runs that start
 * together never see half a binary. The package always extracts into os.tmpdir(), which reads
 * TMPDIR on each call: pointing it at the private folder for the extraction is the documented
 * way to choose where (`executablePath(input)` takes only the source of the archives).
 */
async function packaged(): Promise<Browser> {
  const { default: chromium } = await import('@sparticuz/chromium');
  const manifest = new URL('../package.json', import.meta.resolve('@sparticuz/chromium')); // build/index.js -> package root
  const { version } = JSON.parse(readFileSync(manifest, 'utf8')) as { version: string };
  // Kept across runs: the system's temporary folder, not the run's (test/global-setup.ts).
  const dir = join(process.env.TESSERA_SHARED_TMP ?? tmpdir(), `tessera-chromium-${version}`);
  if (!existsSync(join(dir, 'chromium'))) {
    const staging = mkdtempSync(`${dir}.partial-`);
    const before = process.env.TMPDIR;
    process.env.TMPDIR = staging;
    try {
      await chromium.executablePath();
    } finally {
      if (before === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = before;
    }
    // Its fonts.conf names /tmp/fonts; this one names the fonts beside the binary, then the system's.
    writeFileSync(
      join(staging, 'fonts', 'fonts.conf'),
      `<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n  <dir>${dir}/fonts</dir>\n  <cachedir>${dir}/fonts-cache</cachedir>\n  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>\n</fontconfig>\n`,
    );
    try {
      renameSync(staging, dir);
    } catch {
      rmSync(staging, { recursive: true, force: true }); // another run won the race; use its copy
    }
  }
  return { executablePath: join(dir, 'chromium'), env: { FONTCONFIG_PATH: join(dir, 'fonts') }, source: `@sparticuz/chromium ${version}` };
}
