// Comments and test names cite what a clone has: docs/rules.md (by section), the README and the
// other documents in the repository, never an issue or a document kept outside it.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');
const SOURCE_DIRS = ['shared', 'functions', 'local', 'infra', 'web', 'test', 'bench'];
const SOURCE_EXT = /\.(ts|js|mjs|html|css)$/;
const DOCS = ['README.md', 'SECURITY.md', 'BENCHMARKS.md', 'shared/store/README.md', 'docs/console.md'];

function walk(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' || e.name === 'dist' ? [] : walk(path);
    return SOURCE_EXT.test(e.name) ? [path] : [];
  });
}

/** The section numbers docs/rules.md defines: its headings `## §1`, `### §1.6 …`. */
export function sectionsOf(rules: string): Set<string> {
  return new Set([...rules.matchAll(/^#+ §(\d+(?:\.\d+)*)\s/gm)].map((m) => m[1]!));
}

/** Issue numbers and documents outside the repository that a text cites. */
export function foreignCitations(text: string): string[] {
  return [...text.matchAll(/\(issues? #?\d+[^)]*\)|\bissue #?\d+\b(?![\]\d])|\bAPI\.md\b/gi)].map((m) => m[0]);
}

/** Section numbers a text cites: every `§n` in source, every `rules.md §n…` list in prose. */
export function sectionCitations(text: string, prose: boolean): string[] {
  const lists = prose
    ? [...text.matchAll(/rules\.md`?\)?\s*((?:§[\d.]*\d(?:\s*(?:[–,-]|and)\s*)?)+)/g)].map((m) => m[1]!)
    : [text];
  return lists.flatMap((l) => [...l.matchAll(/§(\d+(?:\.\d+)*)/g)].map((m) => m[1]!));
}

const sections = sectionsOf(readFileSync(join(ROOT, 'docs/rules.md'), 'utf8'));
const sources = SOURCE_DIRS.flatMap(walk).filter((f) => f !== join('test', 'unit', 'citations.test.ts'));
const texts = [
  ...sources.map((f) => ({ file: f, text: readFileSync(join(ROOT, f), 'utf8'), prose: false })),
  ...DOCS.map((f) => ({ file: f, text: readFileSync(join(ROOT, f), 'utf8'), prose: true })),
];

describe('citations', () => {
  it('finds the sections of docs/rules.md, and foreign or missing citations in a text', () => {
    expect(sections.has('1.6') && sections.has('1.16') && sections.has('4.4') && sections.has('6')).toBe(true);
    expect(foreignCitations('// retried (issue 12), see API.md §3; issue #4')).toEqual(['(issue 12)', 'API.md', 'issue #4']);
    expect(foreignCitations('the issuer issues 8-hour JWTs; [issue 410168](https://x)')).toEqual([]);
    expect(sectionCitations('see rules.md §1.3–§1.5, §5; README §7', true)).toEqual(['1.3', '1.5', '5']);
    expect(sectionCitations('// (§1.8) and §9.9', false)).toEqual(['1.8', '9.9']);
  });

  it('no source file or document cites an issue or a document outside the repository', () => {
    const found = texts.flatMap(({ file, text }) =>
      text.split('\n').flatMap((line, i) => foreignCitations(line).map((c) => `${relative(ROOT, join(ROOT, file))}:${i + 1}: ${c}`)),
    );
    expect(found, 'cite docs/rules.md §n or the README instead').toEqual([]);
  });

  it('every rules.md section a source file or document cites exists', () => {
    const missing = texts.flatMap(({ file, text, prose }) =>
      text.split('\n').flatMap((line, i) =>
        sectionCitations(line, prose)
          .filter((s) => !sections.has(s))
          .map((s) => `${file}:${i + 1}: §${s}`),
      ),
    );
    expect(missing, `docs/rules.md has: ${[...sections].join(' ')}`).toEqual([]);
  });
});
