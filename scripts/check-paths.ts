// The repository stands on its own: no file of it reaches outside the clone by a relative path
// (`../` past the root), or names a folder that only the development machine has. Run by
// `npm run check`:
//   node --import tsx scripts/check-paths.ts
// Every file git tracks, or would track (new files not ignored), is read; binary files are skipped.
// System paths the product itself uses (/proc, /sys, /run/netns, ~/.ssh, ~/.cache) are fine.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import * as path from 'node:path';

export interface PathProblem {
  file: string;
  line: number;
  text: string;
  why: string;
}

/** A path from its folder names: this file assembles the folders it looks for, so as not to name them. */
const joined = (...names: string[]) => names.join('/');
const WORK_AREA = joined('', 'work', '');
const SCRATCH_CLONES = joined('', 'tmp', 'fresh');
const ROOT_HOME = joined('', 'root', '');

/**
 * Folders that exist only on the machine this was developed on: the work area and its shared
 * folder beside the clone, the scratch clone folders, root's home folder.
 */
const DEVELOPMENT_FOLDERS: { pattern: RegExp; why: string }[] = [
  {
    pattern: new RegExp(`(^|[^\\w.-])${escapeRegExp(WORK_AREA)}`),
    why: `names ${WORK_AREA}, a folder of the development machine`,
  },
  {
    pattern: new RegExp(escapeRegExp(SCRATCH_CLONES)),
    why: `names ${SCRATCH_CLONES}, a scratch folder of the development machine`,
  },
  {
    pattern: new RegExp(`(^|[^\\w.-])${escapeRegExp(ROOT_HOME)}`),
    why: `names ${ROOT_HOME}, the development machine's home folder`,
  },
  {
    pattern: new RegExp(`(^|[^\\w-])${joined('shared', '(corpus|docs|recipes)')}\\b`),
    why: 'names the shared folder beside the clone, which a user does not have',
  },
];

/**
 * A relative path: `..` at the start of a token (not part of a word, a longer run of dots or an
 * absolute path), with whatever path follows it.
 */
const RELATIVE_PATH = /(?<![\w.$~/-])\.\.(?:\/[^\s'"`)\]>,;|*{}]*)?(?![\w.])/g;

/**
 * Sources that run from a bundle in another folder: there a path built from __dirname is relative
 * to the bundle's folder, while imports stay relative to the source's.
 */
const BUNDLED_INTO: [source: string, bundle: string][] = [['test/exthost/', 'dist/test/exthost/']];

function leavesRoot(folder: string, ref: string): boolean {
  const resolved = path.posix.normalize(path.posix.join(folder, ref));
  return resolved === '..' || resolved.startsWith('../');
}

/** Whether `ref`, read relative to `file` (both relative to the root), leaves the repository. */
export function escapesRoot(file: string, ref: string): boolean {
  const folder = path.posix.dirname(file);
  const bundled = BUNDLED_INTO.find(([source]) => file.startsWith(source));
  const bundleFolder = bundled && path.posix.join(bundled[1], path.posix.relative(bundled[0], folder));
  return leavesRoot(folder, ref) && (bundleFolder === undefined || leavesRoot(bundleFolder, ref));
}

/** The problems of one file's text; `file` is its path relative to the repository root. */
export function checkText(file: string, text: string, home = homedir()): PathProblem[] {
  const folders = [...DEVELOPMENT_FOLDERS];
  // Whoever runs the check: their own home folder is one only their machine has.
  if (home && home !== '/' && home !== joined('', 'root')) {
    folders.push({
      pattern: new RegExp(`${escapeRegExp(home)}(/|$)`),
      why: `names ${home}, a home folder of this machine`,
    });
  }
  const problems: PathProblem[] = [];
  text.split('\n').forEach((line, i) => {
    const at = { file, line: i + 1, text: line.trim() };
    for (const { pattern, why } of folders) if (pattern.test(line)) problems.push({ ...at, why });
    for (const m of line.matchAll(RELATIVE_PATH)) {
      if (escapesRoot(file, m[0])) problems.push({ ...at, why: `${m[0]} leads outside the repository` });
    }
  });
  return problems;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Every file git tracks or would track, relative to the root. */
function repositoryFiles(root: string): string[] {
  const out = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  return [...new Set(out.split('\0').filter(Boolean))].sort();
}

/** Text files only: a NUL byte in the first 8 KiB marks a binary (the captures, images). */
function readText(file: string): string | undefined {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch {
    return undefined; // listed by git but deleted in the work tree
  }
  return bytes.subarray(0, 8192).includes(0) ? undefined : bytes.toString('utf8');
}

export function checkRepository(root: string): PathProblem[] {
  return repositoryFiles(root).flatMap((f) => {
    const text = readText(path.join(root, f));
    return text === undefined ? [] : checkText(f, text);
  });
}

function main(): void {
  const root = path.resolve(__dirname, '..');
  const problems = checkRepository(root);
  for (const p of problems) console.error(`${p.file}:${p.line}: ${p.why}: ${p.text}`);
  if (problems.length > 0) {
    console.error(
      `check-paths: ${problems.length} place(s) depend on something outside the repository. ` +
        'Put what they need inside it (test data under test/fixtures/), or say it in words.',
    );
    process.exit(1);
  }
}

if (require.main === module) main();
