// Serves the dev page (dist/webview-dev, built by scripts/build.sh) on 127.0.0.1 for a browser:
//   node webview/dev/serve.mjs [port]   then open http://127.0.0.1:8123/?rows=1000000&rate=100000&status=capturing

import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(new URL('../../dist/webview-dev', import.meta.url)));
const port = Number(process.argv[2] ?? 8123);
const types = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' };
if (!existsSync(join(root, 'index.html'))) {
  console.error(`${root} is empty: run npm run build (or the webview step of scripts/build.sh) first`);
  process.exit(1);
}
createServer((req, res) => {
  const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
  const file = resolve(join(root, path === '/' ? 'index.html' : path));
  if (!file.startsWith(root) || !existsSync(file)) {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, {
    'content-type': types[extname(file)] ?? 'application/octet-stream',
    'cache-control': 'no-store',
  });
  res.end(readFileSync(file));
}).listen(port, '127.0.0.1', () => console.log(`http://127.0.0.1:${port}/?rows=1000000&rate=100000&status=capturing`));
