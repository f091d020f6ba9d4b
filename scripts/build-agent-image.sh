#!/usr/bin/env bash
# The in-cluster agent's OCI image, made from the static pcap-agent without a container engine:
#   scripts/build-agent-image.sh   -> dist/image/pcap-agent-<version>.oci.tar
# One image index for linux/amd64 and linux/arm64, each a single layer holding /pcap-agent and the
# notices of the libraries linked into it. Its name is AGENT_IMAGE (agent/kubernetes/image.env).
# Load it into a node's containerd with `ctr -n k8s.io images import FILE`, or push it to a
# registry with `skopeo copy oci-archive:FILE docker://REGISTRY/pcap-agent:<version>`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/apt-install.sh jq
# shellcheck source=oci-image.sh
. scripts/oci-image.sh
# shellcheck source=../agent/kubernetes/image.env
. agent/kubernetes/image.env

version=$(jq -r .version package.json)
[ "${AGENT_IMAGE##*:}" = "$version" ] ||
  { echo "build-agent-image: agent/kubernetes/image.env names $AGENT_IMAGE, package.json says $version" >&2; exit 1; }
output=dist/image/pcap-agent-$version.oci.tar
mkdir -p dist/image

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
layout=$(oci_layout_new)
manifests=()
for arch in x64:amd64 arm64:arm64; do
  agent=dist/agent/linux-${arch%%:*}/pcap-agent
  [ -x "$agent" ] || { echo "build-agent-image: $agent is missing; run npm run build" >&2; exit 1; }
  rootfs=$work/${arch##*:}
  mkdir -p "$rootfs/licenses"
  install -m 0755 "$agent" "$rootfs/pcap-agent"
  install -m 0644 LICENSE THIRD_PARTY_NOTICES.md "$rootfs/licenses/"
  config=$(jq -cn --arg version "$version" '{
    Entrypoint: ["/pcap-agent"],
    Env: ["ENABLE_PCA=true"],
    Labels: {"org.opencontainers.image.title": "pcap-agent", "org.opencontainers.image.version": $version,
             "org.opencontainers.image.licenses": "MIT"}}')
  manifests+=("$(oci_image_manifest "$layout" "$rootfs" "${arch##*:}" "$config")")
done
oci_archive "$layout" "$AGENT_IMAGE" "$output" "${manifests[@]}"
echo "$output ($AGENT_IMAGE)"
