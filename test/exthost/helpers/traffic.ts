// Traffic for the extension-host tests, inside the test's own network namespaces only. Bounded:
// COUNT datagrams, and the sender is killed after 15 s whatever happens.
import { execFileSync } from 'node:child_process';

/** COUNT datagrams of SIZE bytes from namespace `ns` to host:port, one every 2 ms. */
export function sendUdp(ns: string, host: string, port: number, count: number, size: number): void {
  const script =
    `const s=require('dgram').createSocket('udp4');let n=0;const t=setInterval(()=>{const last=++n===${count};` +
    `s.send(Buffer.alloc(${size},97),${port},'${host}',()=>{if(last)s.close()});if(last)clearInterval(t)},2);`;
  // The extension host's own runtime runs the sender (Electron acting as Node, or Node).
  execFileSync('ip', ['netns', 'exec', ns, process.execPath, '-e', script], {
    timeout: 15000,
    env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
  });
}
