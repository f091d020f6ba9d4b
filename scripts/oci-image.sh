# OCI image archives written without a container engine (image-spec 1.1: oci-layout, index.json,
# blobs/sha256), byte for byte reproducible: the same files give the same digests. Sourced by
# scripts/build-agent-image.sh and the test cluster's images (test/cluster/fixture/images.sh).
#
#   layout=$(oci_layout_new)
#   amd64=$(oci_image_manifest "$layout" ROOTFS amd64 '{"Entrypoint": ["/app"]}')
#   oci_archive "$layout" NAME:TAG OUT.tar "$amd64" [more manifests, one per platform]
#
# The archive's index.json holds one image index naming NAME:TAG (io.containerd.image.name, as
# `ctr images import` reads it; org.opencontainers.image.ref.name, as skopeo's oci-archive: reads
# it) and listing one manifest per platform, so a runtime picks its own.

# Reproducible tar: owners 0, mtime 0, sorted names.
oci_reproducible_tar() { # directory output names...
  local dir=$1 output=$2
  shift 2
  tar -C "$dir" --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 --format=gnu -cf "$output" "$@"
}

oci_layout_new() {
  local layout
  layout=$(mktemp -d)
  mkdir -p "$layout/blobs/sha256"
  echo "$layout"
}

# A file into the layout's blob store, named by the sha256 of its bytes; prints "sha256:HEX SIZE".
oci_add_blob() { # layout file
  local layout=$1 file=$2 hex
  hex=$(sha256sum "$file" | cut -d' ' -f1)
  mv "$file" "$layout/blobs/sha256/$hex"
  echo "sha256:$hex $(stat -c %s "$layout/blobs/sha256/$hex")"
}

# A JSON document into the blob store; prints its descriptor (JSON) with MEDIA_TYPE.
oci_add_json() { # layout media_type json
  local layout=$1 media_type=$2 json=$3 digest size
  printf '%s' "$json" >"$layout/document.json"
  read -r digest size < <(oci_add_blob "$layout" "$layout/document.json")
  jq -cn --arg t "$media_type" --arg d "$digest" --argjson s "$size" '{mediaType: $t, digest: $d, size: $s}'
}

# One image of one layer (ROOTFS's files) for one architecture (Go's names: amd64, arm64). CONFIG is
# the image config's "config" object (Entrypoint, Cmd, User, Env, Labels). Prints the manifest's
# descriptor with its platform.
oci_image_manifest() { # layout rootfs arch config
  local layout=$1 rootfs=$2 arch=$3 config=$4 layer_digest layer_size config_descriptor manifest
  oci_reproducible_tar "$rootfs" "$layout/layer.tar" .
  read -r layer_digest layer_size < <(oci_add_blob "$layout" "$layout/layer.tar")
  config_descriptor=$(oci_add_json "$layout" application/vnd.oci.image.config.v1+json "$(
    jq -cn --argjson config "$config" --arg arch "$arch" --arg layer "$layer_digest" \
      '{architecture: $arch, os: "linux", config: $config, rootfs: {type: "layers", diff_ids: [$layer]}}'
  )")
  manifest=$(jq -cn --argjson config "$config_descriptor" --arg ld "$layer_digest" --argjson ls "$layer_size" \
    '{schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json", config: $config,
      layers: [{mediaType: "application/vnd.oci.image.layer.v1.tar", digest: $ld, size: $ls}]}')
  oci_add_json "$layout" application/vnd.oci.image.manifest.v1+json "$manifest" |
    jq -c --arg arch "$arch" '. + {platform: {architecture: $arch, os: "linux"}}'
}

# The archive of the layout: NAME:TAG's image index over the MANIFESTS given (descriptors printed
# by oci_image_manifest). Removes the layout.
oci_archive() { # layout name output manifests...
  local layout=$1 name=$2 output=$3 image_index
  shift 3
  image_index=$(oci_add_json "$layout" application/vnd.oci.image.index.v1+json "$(
    jq -cs '{schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json", manifests: .}' <<<"$*"
  )")
  jq -cn --argjson image "$image_index" --arg name "$name" \
    '{schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json",
      manifests: [$image + {annotations: {"io.containerd.image.name": $name,
        "org.opencontainers.image.ref.name": ($name | sub(".*:"; ""))}}]}' >"$layout/index.json"
  echo '{"imageLayoutVersion":"1.0.0"}' >"$layout/oci-layout"
  oci_reproducible_tar "$layout" "$output" oci-layout index.json blobs
  rm -rf "$layout"
}
