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

# oci_layout BINARY NAME DIR [FILE=BINARY...]: writes an OCI image layout to DIR holding one linux/amd64 image
# named NAME (e.g. berth.local/probe:dev) whose files are /probe (BINARY), entrypoint ["/probe"], and each further
# /FILE, all executable, with PATH=/.
oci_layout() {
  local binary="$1" name="$2" dir="$3" rootfs diff_id layer config manifest extra
  shift 3
  rm -rf "$dir" && mkdir -p "$dir/blobs/sha256"
  rootfs="$(mktemp -d)"
  cp "$binary" "$rootfs/probe"
  for extra in "$@"; do cp "${extra#*=}" "$rootfs/${extra%%=*}"; done
  chmod 755 "$rootfs" "$rootfs"/*
  tar --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$rootfs" -cf "$dir/layer.tar" .
  rm -rf "$rootfs"
  diff_id="$(sha256sum "$dir/layer.tar" | cut -d' ' -f1)"
  gzip -n "$dir/layer.tar"
  read -r -a layer <<<"$(oci_blob "$dir" "$dir/layer.tar.gz")"
  printf '{"architecture":"amd64","os":"linux","config":{"Entrypoint":["/probe"],"Env":["PATH=/"],"WorkingDir":"/"},%s}' \
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

# Prints the path of a static crane (CGO_ENABLED=0, the version install-tools.sh pins, from the module cache it
# filled: no network), built into the tool cache once.
static_crane() {
  local version module out
  version="$(sed -n 's/^CRANE_VERSION=//p' "$SCRIPT_DIR/install-tools.sh")"
  module="$(sed -n 's/^CRANE_MODULE=//p' "$SCRIPT_DIR/install-tools.sh")"
  out="${K8S_TOOLS_ROOT}/crane-static-${version}/crane"
  if [[ ! -x "$out" ]]; then
    command -v go >/dev/null || die "go is not installed (run: npm run setup:tools)"
    local src
    src="$(go env GOMODCACHE)/${module%/cmd/crane}@${version}"
    [[ -f "$src/go.mod" ]] || die "$src is not in the module cache (run: npm run setup:tools)"
    mkdir -p "$(dirname "$out")"
    (cd "$src" && CGO_ENABLED=0 GOFLAGS='-mod=mod' GOPROXY=off GOTOOLCHAIN=local \
      go build -trimpath -ldflags '-s -w' -o "$out.tmp" ./cmd/crane) || die "building a static crane $version failed"
    mv "$out.tmp" "$out"
  fi
  echo "$out"
}

# Prints the path of the credential helper (dev-node/credential-helper.go), built like the probe.
credential_helper() {
  local src="$SCRIPT_DIR/dev-node/credential-helper.go" hash out
  hash="$(sha256sum "$src" | cut -c1-16)"
  out="${K8S_TOOLS_ROOT}/credential-helper-${hash}/docker-credential-berth-token"
  if [[ ! -x "$out" ]]; then
    mkdir -p "$(dirname "$out")"
    (cd "$(dirname "$out")" && CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS='' GO111MODULE=off \
      go build -trimpath -ldflags '-s -w' -o "$out.tmp" "$src") || die "building $src failed"
    mv "$out.tmp" "$out"
  fi
  echo "$out"
}

# crane_image NAME DIR: an image with /crane (static) and /docker-credential-berth-token (a pod pushes with its
# projected ServiceAccount token: credHelpers in its docker config), plus /probe, as an OCI layout at DIR.
crane_image() {
  local probe crane helper
  probe="$(probe_binary)" && crane="$(static_crane)" && helper="$(credential_helper)" || exit 1
  oci_layout "$probe" "$1" "$2" "crane=$crane" "docker-credential-berth-token=$helper"
}
