# shellcheck shell=bash
# OCI JSON documents (config, manifest, index) and the image layout. jq writes them compactly, keys in the
# order given, so the same inputs give the same bytes. Sourced by scripts/image/build.sh.

MT_INDEX=application/vnd.oci.image.index.v1+json
MT_MANIFEST=application/vnd.oci.image.manifest.v1+json
MT_CONFIG=application/vnd.oci.image.config.v1+json
MT_LAYER=application/vnd.oci.image.layer.v1.tar+gzip

# blob_put BLOBS FILE: moves FILE into BLOBS under its sha256; prints "sha256:HEX SIZE".
blob_put() {
  local hex size
  hex="$(sha256sum "$2" | cut -d' ' -f1)"
  size="$(stat -c %s "$2")"
  chmod 644 "$2" && mv "$2" "$1/$hex"
  echo "sha256:$hex $size"
}

# descriptor MEDIA_TYPE "DIGEST SIZE": an OCI descriptor.
descriptor() {
  local digest size
  read -r digest size <<<"$2"
  jq -cn --arg mt "$1" --arg d "$digest" --argjson s "$size" '{mediaType: $mt, digest: $d, size: $s}'
}

# image_config ARCH LABELS_JSON DIFF_ID...: the image configuration (user, entrypoint, ports, labels, layers).
image_config() {
  local arch="$1" labels="$2" created
  shift 2
  created="$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%dT%H:%M:%SZ)"
  jq -cn --arg arch "$arch" --arg created "$created" --argjson labels "$labels" --arg user "$RUN_AS:$RUN_AS" \
    --argjson entrypoint "$IMAGE_ENTRYPOINT" --argjson cmd "$IMAGE_CMD" --arg port "$IMAGE_PORT/tcp" \
    --arg storage "/$STORAGE_DIR" '$ARGS.positional as $diffs | {
      created: $created, architecture: $arch, os: "linux",
      config: {
        User: $user,
        Env: ["PATH=/usr/local/bin:/usr/bin:/bin", "NODE_ENV=production", "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"],
        Entrypoint: $entrypoint, Cmd: $cmd, WorkingDir: "/app",
        ExposedPorts: {($port): {}}, Volumes: {($storage): {}}, Labels: $labels
      },
      rootfs: {type: "layers", diff_ids: $diffs},
      history: ($diffs | map({created: $created, created_by: "scripts/image/build.sh"}))
    }' --args "$@"
}

# image_manifest CONFIG_DESCRIPTOR LABELS_JSON LAYER_DESCRIPTOR...: the image manifest.
image_manifest() {
  local config="$1" labels="$2"
  shift 2
  jq -cn --arg mt "$MT_MANIFEST" --argjson config "$config" --argjson labels "$labels" \
    '{schemaVersion: 2, mediaType: $mt, config: $config, layers: [$ARGS.positional[] | fromjson],
      annotations: $labels}' --args "$@"
}

# image_index LABELS_JSON MANIFEST_DESCRIPTOR...: the multi-architecture index (descriptors carry platform).
image_index() {
  local labels="$1"
  shift
  jq -cn --arg mt "$MT_INDEX" --argjson labels "$labels" \
    '{schemaVersion: 2, mediaType: $mt, manifests: [$ARGS.positional[] | fromjson], annotations: $labels}' \
    --args "$@"
}

# layout_write DIR INDEX_DESCRIPTOR TAG [REFERRER_DESCRIPTOR...]: oci-layout and index.json, which names the
# image index TAG and also lists the referrers (the SBOM), untagged, as `oras cp -r` expects them.
layout_write() {
  local dir="$1" index="$2" tag="$3"
  shift 3
  echo '{"imageLayoutVersion":"1.0.0"}' >"$dir/oci-layout"
  jq -cn --argjson d "$index" --arg tag "$tag" '{schemaVersion: 2,
    manifests: ([$d + {annotations: {"org.opencontainers.image.ref.name": $tag}}] + [$ARGS.positional[] | fromjson])}' \
    --args "$@" >"$dir/index.json"
}
