// Builds the console page (web/src + index.html + styles.css) into web/dist with esbuild.
// `npm run build:web` runs it; the local runtime calls ensureWebBuilt() at startup so a fresh
// clone serves the page without a separate step. Files are written atomically (temp + rename)
// because parallel test workers may start the runtime at the same time.
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';

const WEB = import.meta.dirname;
const ROOT = resolve(WEB, '..');
export const WEB_DIST = join(WEB, 'dist');
/** Every input of the last build (from esbuild's metafile), for the staleness check. */
const INPUTS_FILE = join(WEB_DIST, '.inputs.json');

export interface WebBuild {
  outDir: string;
  /** Bytes per emitted file and their total (uncompressed). */
  files: Record<string, number>;
  totalBytes: number;
}

function writeAtomic(file: string, data: string | Uint8Array) {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, file);
}

export async function buildWeb(): Promise<WebBuild> {
  const { build } = await import('esbuild');
  const result = await build({
    entryPoints: { app: join(WEB, 'src', 'main.ts'), styles: join(WEB, 'styles.css') },
    bundle: true,
    format: 'esm',
    target: ['es2022', 'chrome111', 'firefox111', 'safari16'],
    minify: true,
    legalComments: 'none',
    charset: 'utf8',
    outdir: WEB_DIST,
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const files: Record<string, number> = {};
  for (const out of result.outputFiles) {
    writeAtomic(out.path, out.contents);
    files[relative(WEB_DIST, out.path)] = out.contents.byteLength;
  }
  const html = readFileSync(join(WEB, 'index.html'));
  const inputs = [...Object.keys(result.metafile.inputs).map((p) => relative(ROOT, resolve(ROOT, p))), 'web/index.html'];
  writeAtomic(INPUTS_FILE, JSON.stringify(inputs));
  // index.html last: its presence and mtime mark a complete build.
  writeAtomic(join(WEB_DIST, 'index.html'), html);
  files['index.html'] = html.byteLength;
  return { outDir: WEB_DIST, files, totalBytes: Object.values(files).reduce((a, b) => a + b, 0) };
}

const mtime = (file: string) => (existsSync(file) ? statSync(file).mtimeMs : Number.POSITIVE_INFINITY);

function newestUnder(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestUnder(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/** True when web/dist is missing or older than any input of the last build or any file in web/src. */
export function webIsStale(): boolean {
  const built = join(WEB_DIST, 'index.html');
  if (!existsSync(built) || !existsSync(INPUTS_FILE)) return true;
  const builtAt = statSync(built).mtimeMs;
  let inputs: string[];
  try {
    inputs = JSON.parse(readFileSync(INPUTS_FILE, 'utf8'));
  } catch {
    return true;
  }
  // A missing input (renamed or deleted) counts as newer than the build.
  return newestUnder(join(WEB, 'src')) > builtAt || inputs.some((p) => mtime(join(ROOT, p)) > builtAt);
}

/** Builds the page if it is stale; a build failure is reported, not thrown, so the API still starts. */
export async function ensureWebBuilt(log: (message: string) => void = console.warn): Promise<boolean> {
  if (!existsSync(join(WEB, 'src', 'main.ts')) || !webIsStale()) return false;
  try {
    await buildWeb();
    return true;
  } catch (e) {
    log(`tessera: the console page could not be built (${(e as Error).message.split('\n')[0]}); the API runs without it.`);
    return false;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const started = performance.now();
  const out = await buildWeb();
  const kb = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
  let gzipped = 0;
  for (const [file, bytes] of Object.entries(out.files)) {
    const gz = gzipSync(readFileSync(join(WEB_DIST, file))).byteLength;
    gzipped += gz;
    console.log(`  web/dist/${file.padEnd(12)} ${kb(bytes).padStart(9)}  (gzip ${kb(gz)})`);
  }
  console.log(`web/dist: ${kb(out.totalBytes)}, gzip ${kb(gzipped)}, built in ${Math.round(performance.now() - started)} ms`);
}
