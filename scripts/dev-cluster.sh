#!/usr/bin/env bash
# A local Kubernetes control plane for tests and contributors.
#
#   bash scripts/dev-cluster.sh build    build (or reuse) pinned binaries
#   bash scripts/dev-cluster.sh start    start etcd, kube-apiserver, kube-controller-manager
#   bash scripts/dev-cluster.sh start --node   the same plus one real node (dev-cluster-node.sh): containerd,
#                                        kubelet, kube-scheduler, kube-proxy, CNI bridge, a default StorageClass
#   bash scripts/dev-cluster.sh import PATH   import an image tarball or OCI layout dir into the node's containerd
#   bash scripts/dev-cluster.sh probe-image NAME DIR   write the node's test image (dev-node/probe.go) as an OCI layout
#   bash scripts/dev-cluster.sh crane-image NAME DIR   the same plus a static crane and a credential helper that
#                                        reads a projected ServiceAccount token (dev-node/credential-helper.go)
#   bash scripts/dev-cluster.sh stop     stop them and remove the data dir
#   bash scripts/dev-cluster.sh status   say whether it runs, print the kubeconfig path
#   bash scripts/dev-cluster.sh env      print shell exports (KUBECONFIG, PATH, ...)
#   bash scripts/dev-cluster.sh stop-component NAME | pid NAME   (tests: stop one component, or print its pid;
#                                        `start` again restarts whatever is not running, on the same ports)
#
# BERTH_CLUSTER_DIR picks the data dir (default: a per-user dir under $TMPDIR), so several clusters can run at once.
#
# Binaries live outside the repo in ${BERTH_TOOLS_DIR:-~/.cache/berth-tools}/k8s-<version>/.
# The control plane listens on 127.0.0.1 only; the node adds the bridge $NODE_BRIDGE (10.244.0.1/24), where the
# kubelet and an API server proxy for pods listen. The node is root-only and one per machine (a lock).
set -euo pipefail

K8S_VERSION="${BERTH_K8S_VERSION:-v1.36.3}"
K8S_STAGING_VERSION="v0.${K8S_VERSION#v1.}"
ETCD_VERSION="${BERTH_ETCD_VERSION:-v3.6.8}"
LOCAL_PATH_VERSION="${BERTH_LOCAL_PATH_VERSION:-v0.0.30}"
K8S_TOOLS_ROOT="${BERTH_TOOLS_DIR:-$HOME/.cache/berth-tools}"
K8S_BIN_DIR="${K8S_TOOLS_ROOT}/k8s-${K8S_VERSION}"
CLUSTER_DIR="${BERTH_CLUSTER_DIR:-${TMPDIR:-/tmp}/berth-dev-cluster-$(id -u)}"

log() { echo "dev-cluster: $*" >&2; }
die() { log "error: $*"; exit 1; }

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/dev-cluster-build.sh
source "$SCRIPT_DIR/dev-cluster-build.sh"
# shellcheck source=scripts/dev-cluster-pki.sh
source "$SCRIPT_DIR/dev-cluster-pki.sh"
# shellcheck source=scripts/dev-cluster-run.sh
source "$SCRIPT_DIR/dev-cluster-run.sh"
# shellcheck source=scripts/dev-cluster-node.sh
source "$SCRIPT_DIR/dev-cluster-node.sh"
# shellcheck source=scripts/dev-cluster-node-config.sh
source "$SCRIPT_DIR/dev-cluster-node-config.sh"
# shellcheck source=scripts/dev-cluster-node-clean.sh
source "$SCRIPT_DIR/dev-cluster-node-clean.sh"
# shellcheck source=scripts/dev-cluster-image.sh
source "$SCRIPT_DIR/dev-cluster-image.sh"

main() {
  [[ "${1:-}" == --node ]] && set -- start --node # npm run dev:cluster -- --node
  local cmd="${1:-start}"
  case "$cmd" in
    build) k8s_build ;;
    start) cluster_start "${2:-}" ;;
    stop) cluster_stop ;;
    status) cluster_status ;;
    env) cluster_env ;;
    stop-component) [[ -n "${2:-}" ]] || die "stop-component needs a name"; stop_component "$2" ;;
    pid) [[ -n "${2:-}" ]] || die "pid needs a name"; component_pid "$2" ;;
    import) [[ -n "${2:-}" ]] || die "import needs a path"; node_import "$2" ;;
    probe-image) [[ -n "${3:-}" ]] || die "probe-image needs a name and a dir"; probe_image "$2" "$3" ;;
    crane-image) [[ -n "${3:-}" ]] || die "crane-image needs a name and a dir"; crane_image "$2" "$3" ;;
    *) die "unknown command '$cmd' (build|start [--node]|stop|status|env|import|probe-image|crane-image)" ;;
  esac
}

main "$@"
