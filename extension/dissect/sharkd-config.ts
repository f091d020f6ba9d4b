// Decode As for sharkd. sharkd takes no `-d`, and its `setconf` sets preferences only (4.0 answers
// "No such preference exists" for decode_as); it reads Decode As from the `decode_as_entries` file
// of its configuration folder, which WIRESHARK_CONFIG_DIR chooses. So a sharkd that must follow
// rules gets a private folder: the user's own Wireshark configuration files copied (so it
// dissects as it did without rules), and their decode_as_entries followed by ours (the later
// entry for a port wins, as tshark's -d wins over the user's).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type DecodeAsRule, formatDecodeAs } from '../../packet/decode-as.js';

/** Bounds on what is copied from the user's folder: its settings files are small. */
const MAX_COPIED_FILES = 100;
const MAX_COPIED_BYTES = 1 << 20;
const DECODE_AS_FILE = 'decode_as_entries';

/** The user's own Wireshark configuration folder (where Wireshark itself looks), if there is one. */
export function personalConfigFolder(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const candidates = env.WIRESHARK_CONFIG_DIR
    ? [env.WIRESHARK_CONFIG_DIR]
    : process.platform === 'win32'
      ? [path.join(env.APPDATA ?? '', 'Wireshark')]
      : [
          path.join(env.XDG_CONFIG_HOME || path.join(os.homedir(), '.config'), 'wireshark'),
          path.join(os.homedir(), '.wireshark'),
        ];
  return candidates.find((dir) => {
    try {
      return fs.statSync(dir).isDirectory();
    } catch {
      return false;
    }
  });
}

/**
 * The rules as Wireshark's decode_as_entries lines (`decode_as_entry: tcp.port,18080,(none),HTTP2`):
 * an entry names the dissector by its short name, `dissectorName` gives it from the protocol's
 * filter name (tshark -G protocols); without it the upper-cased filter name, which is the short
 * name of most protocols (HTTP2, MQTT, DNS).
 */
export function decodeAsEntries(
  rules: readonly DecodeAsRule[],
  dissectorName: (protocol: string) => string | undefined,
): string {
  return rules
    .map(
      (r) =>
        `decode_as_entry: ${r.transport}.port,${r.port},(none),${dissectorName(r.protocol) ?? r.protocol.toUpperCase()}\n`,
    )
    .join('');
}

/** Copies the regular files at the top of `from` into `to` (0600), within the bounds. */
function copySettings(from: string, to: string): void {
  let copied = 0;
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    if (copied >= MAX_COPIED_FILES) break;
    if (!entry.isFile()) continue; // folders (profiles, plugins) and links stay where they are
    const source = path.join(from, entry.name);
    if (fs.statSync(source).size > MAX_COPIED_BYTES) continue;
    fs.writeFileSync(path.join(to, entry.name), fs.readFileSync(source), { flag: 'wx', mode: 0o600 });
    copied++;
  }
}

/**
 * Makes `folder` (0700, inside a private parent) sharkd's configuration folder for `rules`: the
 * user's settings from `personal`, and the Decode As entries after the user's own.
 */
export function writeSharkdConfig(
  folder: string,
  rules: readonly DecodeAsRule[],
  dissectorName: (protocol: string) => string | undefined,
  personal = personalConfigFolder(),
): void {
  fs.mkdirSync(folder, { mode: 0o700 });
  if (personal) {
    try {
      copySettings(personal, folder);
    } catch {
      // An unreadable folder of the user's: sharkd goes with the rules alone.
    }
  }
  const file = path.join(folder, DECODE_AS_FILE);
  const theirs = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  const separator = theirs && !theirs.endsWith('\n') ? '\n' : '';
  const ours = `# Decode As of packetCapture.decodeAs: ${rules.map(formatDecodeAs).join('; ')}\n`;
  fs.writeFileSync(file, theirs + separator + ours + decodeAsEntries(rules, dissectorName), { mode: 0o600 });
}
