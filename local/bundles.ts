// The local runtime runs each function from a bundle built the way CDK builds it (esbuild with
// infra/bundling.ts's options: ESM, the SDK bundled, environment-only credentials), so an
// environment imports plain JavaScript, as Lambda does, and starts in tens of milliseconds.
// Bundles are cached under node_modules/.cache/tessera-local and rebuilt when any input file
// changed (sizes and modification times of every input esbuild reported).
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { esbuildOptions, REPO_ROOT } from '../infra/bundling.ts';
import { JOBS, ROUTE_LIST } from '../shared/routes.ts';

export interface FunctionEntry {
  /** The function id (shared/routes.ts ROUTES key or JOBS key, or a test fixture's). */
  id: string;
  /** Handler module relative to the repository root; it exports `handler`. */
  entry: string;
}

/** Every function of the route table and the jobs, by id and entry. */
export const FUNCTIONS: FunctionEntry[] = [
  ...ROUTE_LIST.map((r) => ({ id: r.id, entry: r.entry })),
  ...Object.entries(JOBS).map(([id, j]) => ({ id, entry: j.entry })),
];

interface Manifest {
  files: Record<string, string>;
  inputs: Record<string, string>;
}

const CACHE = join(REPO_ROOT, 'node_modules', '.cache', 'tessera-local');

const stamp = (file: string) => {
  try {
    const s = statSync(file);
    return `${s.size}:${s.mtimeMs}`;
  } catch {
    return 'missing';
  }
};

function fresh(manifest: Manifest): boolean {
  return Object.entries(manifest.inputs).every(([file, was]) => stamp(resolve(REPO_ROOT, file)) === was)
    && Object.values(manifest.files).every((f) => existsSync(f));
}

const building = new Map<string, Promise<Record<string, string>>>();

/** The bundle of each function (id -> absolute .mjs path), built if missing or stale. */
export function functionBundles(functions: FunctionEntry[]): Promise<Record<string, string>> {
  const key = createHash('sha256').update(JSON.stringify(functions.map((f) => [f.id, f.entry]).sort(([a], [b]) => a.localeCompare(b)))).digest('hex').slice(0, 16);
  let pending = building.get(key);
  if (!pending) {
    pending = buildIfStale(key, functions).finally(() => building.delete(key));
    building.set(key, pending);
  }
  return pending;
}

async function buildIfStale(key: string, functions: FunctionEntry[]): Promise<Record<string, string>> {
  const dir = join(CACHE, key);
  const manifestFile = join(dir, 'manifest.json');
  if (existsSync(manifestFile)) {
    const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as Manifest;
    if (fresh(manifest)) return manifest.files;
  }
  const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`;
  mkdirSync(tmp, { recursive: true });
  const { outfile: _outfile, entryPoints: _entries, ...options } = esbuildOptions(functions[0].entry, tmp);
  const result = await build({
    ...options,
    entryPoints: Object.fromEntries(functions.map((f) => [f.id, join(REPO_ROOT, f.entry)])),
    outdir: tmp,
    outExtension: { '.js': '.mjs' },
    // Readable stack traces in local logs; the deployed bundles are minified.
    minify: false,
    sourcemap: false,
    metafile: true,
    logLevel: 'error',
  });
  const inputs = Object.fromEntries(Object.keys(result.metafile.inputs).map((f) => [f, stamp(resolve(REPO_ROOT, f))]));
  let out = dir;
  try {
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
  } catch {
    out = tmp; // another process put its build there meanwhile: keep ours where it is
  }
  const files = Object.fromEntries(functions.map((f) => [f.id, join(out, `${f.id}.mjs`)]));
  writeFileSync(join(out, 'manifest.json'), JSON.stringify({ files, inputs } satisfies Manifest));
  return files;
}
