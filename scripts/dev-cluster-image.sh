# shellcheck shell=bash
# Local images for the dev node, built with no engine and no registry (sourced by scripts/dev-cluster.sh).
# The node has no internet: its pod sandbox ("pause") image, local-path-provisioner's helper image and the
# node tests' image are all one static Go binary (scripts/dev-node/probe.go) in a one-layer OCI image layout,
# imported into the node's containerd with `ctr -n k8s.io images import`.

# Prints the path of the probe binary, building it (into the tool cache, keyed by the source's hash) if needed.
probe_binary() {
  local src="$SCRIPT_DIR/dev-node/probe.go" hash out
  hash="$(sha256sum "$src" | cut -c1-16)"
  out="${K8S_TOOLS_ROOT}/node-probe-${hash}/probe"
  if [[ ! -x "$out" ]]; then
    command -v go >/dev/null || die "go is not installed (run: npm run setup:tools)"
    mkdir -p "$(dirname "$out")"
    (cd "$(dirname "$out")" && CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS='' GO111MODULE=off \
      go build -trimpath -ldflags '-s -w' -o "$out.tmp" "$src") || die "building $src failed"
    mv "$out.tmp" "$out"
  fi
  echo "$out"
}

# blob DIR FILE: moves FILE into DIR/blobs/sha256/<digest> and prints "<digest> <size>".
oci_blob() {
  local dir="$1" file="$2" digest size
  digest="$(sha256sum "$file" | cut -d' ' -f1)"
  size="$(stat -c %s "$file")"
  mv "$file" "$dir/blobs/sha256/$digest"
  echo "$digest $size"
}

# oci_layout BINARY NAME DIR: writes an OCI image layout to DIR holding one linux/amd64 image named NAME
# (e.g. berth.local/probe:dev) whose only file is /probe (BINARY) and whose entrypoint is ["/probe"].
oci_layout() {
  local binary="$1" name="$2" dir="$3" rootfs diff_id layer config manifest
  rm -rf "$dir" && mkdir -p "$dir/blobs/sha256"
  rootfs="$(mktemp -d)"
  cp "$binary" "$rootfs/probe"
  chmod 755 "$rootfs/probe"
  tar --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$rootfs" -cf "$dir/layer.tar" probe
  rm -rf "$rootfs"
  diff_id="$(sha256sum "$dir/layer.tar" | cut -d' ' -f1)"
  gzip -n "$dir/layer.tar"
  read -r -a layer <<<"$(oci_blob "$dir" "$dir/layer.tar.gz")"
  printf '{"architecture":"amd64","os":"linux","config":{"Entrypoint":["/probe"],"WorkingDir":"/"},%s}' \
    "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:${diff_id}\"]}" >"$dir/config.json"
  read -r -a config <<<"$(oci_blob "$dir" "$dir/config.json")"
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",%s,%s}' \
    "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"sha256:${config[0]}\",\"size\":${config[1]}}" \
    "\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"sha256:${layer[0]}\",\"size\":${layer[1]}}]" \
    >"$dir/manifest.json"
  read -r -a manifest <<<"$(oci_blob "$dir" "$dir/manifest.json")"
  printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json",%s,%s,%s}]}\n' \
    "\"digest\":\"sha256:${manifest[0]}\",\"size\":${manifest[1]}" \
    '"platform":{"architecture":"amd64","os":"linux"}' \
    "\"annotations\":{\"io.containerd.image.name\":\"${name}\",\"org.opencontainers.image.ref.name\":\"${name##*:}\"}" \
    >"$dir/index.json"
  echo '{"imageLayoutVersion":"1.0.0"}' >"$dir/oci-layout"
}

# probe_image NAME DIR: the probe binary as image NAME, in an OCI layout at DIR.
probe_image() { oci_layout "$(probe_binary)" "$1" "$2"; }
