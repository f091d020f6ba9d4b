// How root starts the deployed agent on an SSH host. The agent sits in the user's cache folder,
// where the user (or anything running as the user, or anyone who can write a folder above it)
// could swap it after the extension checked it. So root itself checks and copies: one sh script
// run as root refuses symbolic links and folders others can write, copies the executable into a
// fresh private folder (mktemp -d, mode 0700, root's), checks the copy's SHA-256 against the
// extension's own build, and only then execs that copy. What root runs is what root verified.
import * as path from 'node:path';
import type { AgentBinary, DeployedAgent } from './agent-deploy.js';

// $1 uid of the connecting user, $2 cache folder, $3 agent folder name, $4 executable name,
// $5 its SHA-256, then the agent's arguments.
const LAUNCH_SCRIPT = String.raw`
set -u
refuse() { echo "Refusing to run the capture agent as root: $*" >&2; exit 3; }
remove_hint="Remove the agent from the host (Packet Capture: Remove Agent from Host) and capture again."
uid=$1 cache=$2 folder=$3 name=$4 sum=$5
shift 5
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
for p in "$cache" "$cache/$folder"; do
  if [ -L "$p" ]; then refuse "$p is a symbolic link. $remove_hint"; fi
done
dir=$(cd -P -- "$cache/$folder" 2>/dev/null && pwd -P) || refuse "$cache/$folder is missing. $remove_hint"
p=$dir
while :; do
  check_owner_and_mode "$p"
  if [ "$p" = / ]; then break; fi
  p=$(dirname -- "$p")
done
tmp=$(mktemp -d) || refuse "could not create a private temporary folder."
trap 'rm -rf -- "$tmp"' EXIT
f=$dir/$name
if [ -L "$f" ] || [ ! -f "$f" ]; then refuse "$f is not a regular file. $remove_hint"; fi
check_owner_and_mode "$f"
cp -- "$f" "$tmp/$name" && chmod 0700 -- "$tmp/$name" || refuse "could not copy $f."
got=$(sha256sum -- "$tmp/$name") || refuse "could not compute the SHA-256 of $f (sha256sum, from coreutils)."
case $got in
"$sum "*) ;;
*) refuse "$f is not the file the extension uploaded (its SHA-256 differs; was it changed after the upload?). $remove_hint" ;;
esac
# The copy is removed once the agent is gone, by a watcher outside this process tree (so it
# outlives even a killed session); exec keeps the agent in this process, signals and stdin included.
( (exec sh -c 'while kill -0 "$1" 2>/dev/null; do sleep 1; done; rm -rf -- "$2"' pcap-agent-cleanup "$$" "$tmp") </dev/null >/dev/null 2>&1 & )
exec "$tmp/$name" "$@"
`;

/** argv that runs `AGENT args…` as root (with elevation around it) from a verified private copy of the agent. */
export function verifiedAgentArgv(
  agent: AgentBinary,
  deployed: Pick<DeployedAgent, 'cacheDir' | 'dir' | 'executable'>,
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
    path.posix.basename(deployed.executable),
    agent.sha256,
    ...agentArgs,
  ];
}
