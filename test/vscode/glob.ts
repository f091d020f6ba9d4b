// A small glob for test discovery (fs.globSync is Node >= 22 only; the test runners run on Node 20,
// the extension host on Node 24): `**/`, `*` and `?`, paths relative to `root`, sorted.
import { existsSync, readdirSync } from 'node:fs';
import * as path from 'node:path';

export function glob(pattern: string, root: string): string[] {
  const base = pattern
    .split('/')
    .filter((_, i, parts) => !/[*?]/.test(parts.slice(0, i + 1).join('/')))
    .join('/');
  const re = new RegExp(
    `^${pattern
      .split(/(\*\*\/|\*|\?)/)
      .map((part) =>
        part === '**/'
          ? '(?:.*/)?'
          : part === '*'
            ? '[^/]*'
            : part === '?'
              ? '[^/]'
              : part.replace(/[.+^${}()|[\]\\]/g, '\\$&'),
      )
      .join('')}$`,
  );
  if (!existsSync(path.join(root, base))) return [];
  return (readdirSync(path.join(root, base), { recursive: true }) as string[])
    .map((f) => path.posix.join(base, f))
    .filter((f) => re.test(f))
    .sort();
}
