// `npm start` (after scripts/start.sh has set up, built and packaged): real VS Code (code-server) on
// 127.0.0.1:$PORT (default 8080) with the packaged extension installed in a profile of its own
// (.cache/vscode/start-profile/, kept between runs; the extension is reinstalled every time) and the
// folder .cache/workspace/ open. Runs in the foreground: Ctrl-C stops code-server and everything it
// started (its own process group).
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { assertPortFree, CACHE, ROOT, startCodeServer, VSIX } from '../test/vscode/code-server.js';

const WORKSPACE_README = `# Try eBPF Packet Capture

This folder was opened by \`npm start\`: VS Code (code-server) with the extension built from this
checkout. Open the Command Palette (F1 or Ctrl+Shift+P) and type "Packet Capture":

- **Packet Capture: List Interfaces** — the interfaces of this machine.
- **Packet Capture: Start Capture…** — the capture panel: pick interfaces (try \`lo\`) and a filter
  (e.g. \`tcp port 8080\`, or \`udp,53\`), start, and watch packets arrive. Some traffic to see:
  open a terminal (Ctrl+\`) and run \`curl -s http://127.0.0.1:8080/healthz\` or
  \`ping -c 3 127.0.0.1\`. Browsing this very page is traffic on lo too.
- **Packet Capture: Stop Capture**, **Save Capture As…** — a .pcapng file in this folder.
- **Packet Capture: Open Capture File…**, or click a .pcap/.pcapng file in the Explorer.
- **Packet Capture: Open in Wireshark** — if Wireshark is installed where code-server runs.

Capturing needs root (or CAP_BPF + CAP_NET_ADMIN + CAP_PERFMON) where the agent runs; code-server
was started by the user who ran \`npm start\`.
`;

async function main(): Promise<void> {
  const port = Number(process.env.PORT ?? 8080);
  try {
    await assertPortFree(port);
  } catch (e) {
    console.error(
      `npm start: ${(e as Error).message}. Stop whatever listens there, or pick another port: PORT=8081 npm start`,
    );
    process.exit(1);
  }
  const workspace = path.join(ROOT, '.cache', 'workspace');
  mkdirSync(workspace, { recursive: true });
  writeFileSync(path.join(workspace, 'README.md'), WORKSPACE_README);
  const profileDir = path.join(CACHE, 'start-profile');
  console.error(
    `==> code-server on 127.0.0.1:${port}, extension ${path.relative(ROOT, VSIX)}, profile ${path.relative(ROOT, profileDir)}`,
  );
  const t0 = Date.now();
  const server = await startCodeServer({ port, profileDir, vsix: VSIX, folder: workspace });
  const url = server.workbenchUrl(workspace);
  console.log(`
VS Code with eBPF Packet Capture is ready (${((Date.now() - t0) / 1000).toFixed(1)} s):

    ${url}

Open it in a browser on this machine (from elsewhere: ssh -L ${port}:127.0.0.1:${port} this-host).
F1 → "Packet Capture: Start Capture…". code-server's log: ${path.relative(ROOT, server.logFile)}
Ctrl-C stops it.
`);
  let stopping = false;
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    // code-server.ts's own handler then stops the process group and exits.
    process.prependListener(sig, () => {
      stopping = true;
      console.error(`\n==> ${sig}: stopping code-server`);
    });
  }
  await server.exited;
  if (stopping) return;
  console.error(`npm start: code-server exited; see ${server.logFile}`);
  process.exit(1);
}

main().catch((e) => {
  console.error(`npm start: ${(e as Error).message}`);
  process.exit(1);
});
