// The panel's dev page (webview/dev/) built into a folder, as the webview tests serve it: the panel
// against the scripted fake host, in a plain browser.
import { copyFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';

const ROOT = resolve(__dirname, '../../..');

/** The content type of each of the page's files, by extension. */
export const DEV_PAGE_TYPES: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.css': 'text/css',
};

/** Bundles the dev page into `dir` (dev.js) beside its HTML and style sheets. */
export async function buildDevPage(dir: string): Promise<void> {
  await build({
    entryPoints: [join(ROOT, 'webview/dev/dev-main.ts')],
    bundle: true,
    platform: 'browser',
    target: 'es2022',
    format: 'esm',
    outfile: join(dir, 'dev.js'),
    logLevel: 'warning',
  });
  for (const [from, to] of [
    ['webview/dev/index.html', 'index.html'],
    ['webview/dev/theme.css', 'theme.css'],
    ['webview/page.css', 'page.css'],
    ['webview/panel.css', 'panel.css'],
  ] as const)
    copyFileSync(join(ROOT, from), join(dir, to));
}
