// A stand-in for Wireshark, for "Open in Wireshark": a script in a private temp folder that
// records its arguments (one a line, written whole by a rename) and, run as a live pipe's reader
// (`-k -i -`), the stream it is given, written whole once the stream ends.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface WiresharkStandIn {
  program: string;
  /** Its arguments; undefined until it has run. */
  args(): string[] | undefined;
  /** The file holding what it read on stdin as a live pipe; undefined until that stream ended. */
  stream(): string | undefined;
  remove(): void;
}

export function wiresharkStandIn(): WiresharkStandIn {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pcap-exthost-wireshark-'));
  const program = path.join(dir, 'wireshark');
  const record = path.join(dir, 'args');
  const stream = path.join(dir, 'stream.pcapng');
  fs.writeFileSync(
    program,
    [
      '#!/bin/sh',
      `printf '%s\\n' "$@" > '${record}.tmp' && mv '${record}.tmp' '${record}'`,
      `if [ "$1" = -k ]; then cat > '${stream}.tmp' && mv '${stream}.tmp' '${stream}'; fi`,
      '',
    ].join('\n'),
    { mode: 0o700 },
  );
  return {
    program,
    args: () => (fs.existsSync(record) ? fs.readFileSync(record, 'utf8').split('\n').slice(0, -1) : undefined),
    stream: () => (fs.existsSync(stream) ? stream : undefined),
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}
