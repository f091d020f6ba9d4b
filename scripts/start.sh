#!/usr/bin/env bash
# The main job until the capture panel lands: set up, build, and run a short live capture on this
# machine's loopback (with a small burst of traffic of its own), then show what was captured.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

sudo_=""
[ "$(id -u)" -eq 0 ] || sudo_="sudo"
out=$(mktemp --suffix=.pcapng)

echo "==> capturing 3 s on lo (udp port 45678) with bin/pcap-agent" >&2
log=$(mktemp)
trap 'rm -f "$out" "$log"' EXIT
$sudo_ bin/pcap-agent capture -i lo -f 'udp port 45678' --duration 3 -w "$out" </dev/null 2> >(tee "$log" >&2) &
agent=$!
for _ in $(seq 100); do grep -q 'capturing on' "$log" && break; sleep 0.1; done
# Ten datagrams to ourselves on loopback: something to see.
node -e "
const s = require('dgram').createSocket('udp4'); let n = 0;
const t = setInterval(() => {
  const last = ++n === 10;
  s.send('hello from npm start #' + n, 45678, '127.0.0.1', () => last && s.close());
  if (last) clearInterval(t);
}, 50);"
wait "$agent"
$sudo_ chmod a+r "$out"
echo "==> tshark -r $out" >&2
tshark -r "$out" -T fields -e frame.number -e ip.src -e ip.dst -e udp.srcport -e udp.dstport -e data.text -o data.show_as_text:TRUE 2>/dev/null
capinfos -c -i "$out" 2>/dev/null | tail -n +2
