#!/usr/bin/env bash
# The main job until the capture panel lands: set up, build, and run a short live capture on this
# machine's loopback (with a small burst of traffic of its own), then show what was captured.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

sudo_=""
[ "$(id -u)" -eq 0 ] || sudo_="sudo"
out=$(mktemp --suffix=.pcapng)
trap 'rm -f "$out"' EXIT

echo "==> capturing 3 s on lo (udp port 47000) with bin/pcap-agent" >&2
$sudo_ bin/pcap-agent capture -i lo -f 'udp port 47000' --duration 3 -w "$out" </dev/null &
agent=$!
sleep 1
# Ten datagrams to ourselves on loopback: something to see.
node -e "
const s = require('dgram').createSocket('udp4'); let n = 0;
const t = setInterval(() => { s.send('hello from npm start #' + n, 47000, '127.0.0.1'); if (++n === 10) { clearInterval(t); s.close(); } }, 50);"
wait "$agent"
$sudo_ chmod a+r "$out"
echo "==> tshark -r $out" >&2
tshark -r "$out" 2>/dev/null
capinfos -c -i "$out" 2>/dev/null | tail -n +2
