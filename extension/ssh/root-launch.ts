// How root starts the deployed agent on an SSH host. The bundle sits in the user's cache folder,
// where the user (or anything running as the user, or anyone who can write a folder above it)
// could swap a file after the extension checked it. So root itself checks and copies: one sh script
// run as root refuses symbolic links and folders others can write, copies the bundle into a fresh
// private folder (mktemp -d, mode 0700, root's), checks each copy's SHA-256 against the extension's
// own bundle, and only then execs the agent from that copy. What root runs is what root verified.
import * as path from 'node:path';
import type { AgentBundle } from './agent-deploy.js';

// $1 uid of the connecting user, $2 cache folder, $3 bundle folder name, $4 node, $5 the agent's
// script, $6 number of files, then "name sha256" pairs, then the agent's arguments.
const LAUNCH_SCRIPT = String.raw`
set -u
refuse() { echo "Refusing to run the capture agent as root: $*" >&2; exit 3; }
remove_hint="Remove the agent from the host (Packet Capture: Remove Agent from Host) and capture again."
uid=$1 cache=$2 bundle=$3 node=$4 script=$5 count=$6
shift 6
# Owned by root or the user, and writable by no one else. A root-owned sticky folder (/tmp) is
# fine: there only an entry's owner may rename or delete it.
check_owner_and_mode() {
  owner=$(stat -c %u -- "$1") && mode=$(stat -c %a -- "$1") || refuse "cannot read $1."
  if [ "$owner" != 0 ] && [ "$owner" != "$uid" ]; then refuse "$1 belongs to user id $owner, neither root nor you. $remove_hint"; fi
  if [ $((0$mode & 022)) != 0 ] && ! { [ "$owner" = 0 ] && [ $((0$mode & 01000)) != 0 ]; }; then
    refuse "$1 can be changed by other users (mode $mode). Run \"chmod go-w $1\" on the host, or remove the agent, and capture again."
  fi
}
# The folders the extension made must be real folders: a symbolic link could lead root anywhere.
for p in "$cache" "$cache/$bundle"; do
  if [ -L "$p" ]; then refuse "$p is a symbolic link. $remove_hint"; fi
done
dir=$(cd -P -- "$cache/$bundle" 2>/dev/null && pwd -P) || refuse "$cache/$bundle is missing. $remove_hint"
p=$dir
while :; do
  check_owner_and_mode "$p"
  if [ "$p" = / ]; then break; fi
  p=$(dirname -- "$p")
done
tmp=$(mktemp -d) || refuse "could not create a private temporary folder."
trap 'rm -rf -- "$tmp"' EXIT
i=0
while [ "$i" -lt "$count" ]; do
  name=$1 sum=$2
  shift 2
  i=$((i + 1))
  f=$dir/$name
  if [ -L "$f" ] || [ ! -f "$f" ]; then refuse "$f is not a regular file. $remove_hint"; fi
  check_owner_and_mode "$f"
  cp -- "$f" "$tmp/$name" || refuse "could not copy $f."
  got=$(sha256sum -- "$tmp/$name") || refuse "could not compute the SHA-256 of $f (sha256sum)."
  case $got in
  "$sum "*) ;;
  *) refuse "$f is not the file the extension uploaded (its SHA-256 differs; was it changed after the upload?). $remove_hint" ;;
  esac
done
# The copy is removed once the agent is gone, by a watcher outside this process tree (so it
# outlives even a killed session); exec keeps the agent in this process, signals and stdin included.
( (exec sh -c 'while kill -0 "$1" 2>/dev/null; do sleep 1; done; rm -rf -- "$2"' pcap-agent-cleanup "$$" "$tmp") </dev/null >/dev/null 2>&1 & )
exec "$node" "$tmp/$script" "$@"
`;

/** argv that runs `node AGENT args…` as root (with elevation around it) from a verified private copy of the bundle. */
export function verifiedAgentArgv(
  bundle: AgentBundle,
  deployed: { cacheDir: string; dir: string; scriptName: string },
  node: string,
  uid: number,
  agentArgs: readonly string[],
): string[] {
  return [
    'sh',
    '-c',
    LAUNCH_SCRIPT,
    'pcap-agent-launch',
    String(uid),
    deployed.cacheDir,
    path.posix.basename(deployed.dir),
    node,
    deployed.scriptName,
    String(bundle.files.length),
    ...bundle.files.flatMap((f) => [f.name, f.sha256]),
    ...agentArgs,
  ];
}
