# shellcheck shell=bash
# One real node for the local control plane (sourced by scripts/dev-cluster.sh; `start --node`):
#   containerd (Debian's 1.6, private root/state/sockets) + runc, a CNI bridge with host-local IPAM,
#   kubelet, kube-scheduler, kube-proxy (iptables), an API proxy (socat) on the bridge gateway so pods reach
#   the API server through the `kubernetes` Service, and local-path-provisioner behind the default StorageClass.
# Layout of "$NODE_DIR" ($CLUSTER_DIR/node): ports.env, *.kubeconfig, *.yaml, containerd/, cni/, cni-ipam/,
# kubelet/ (root dir), pod-logs/, local-path/ (volumes), certs.d/ (containerd registry hosts), images/.
# Machine-wide (one node at a time, see node_lock): bridge $NODE_BRIDGE, cgroup /$NODE_CGROUP, KUBE-* chains.

NODE_DIR="$CLUSTER_DIR/node"
NODE_SOCK="$NODE_DIR/containerd/containerd.sock"
NODE_LOCK="${BERTH_NODE_LOCK:-/tmp/berth-dev-node.lock}"
NODE_NAME="$(hostname | tr '[:upper:]' '[:lower:]')"
NODE_NETWORK=berth-dev-node
NODE_BRIDGE=berth0
NODE_CGROUP=berth-dev-node
CLUSTER_CIDR=10.244.0.0/16
NODE_POD_CIDR=10.244.0.0/24
NODE_IP=10.244.0.1
SERVICE_CIDR=10.0.0.0/24
# The sandbox ("pause") image and local-path-provisioner's helper image (scripts/dev-cluster-image.sh).
NODE_IMAGE=berth.local/dev-node-probe:v1
NODE_COMPONENTS=(kube-scheduler containerd kubelet kube-proxy api-proxy local-path-provisioner)

node_enabled() { [[ -d "$NODE_DIR" ]]; }

node_load_ports() {
  if [[ ! -f "$NODE_DIR/ports.env" ]]; then
    local p=() port
    while ((${#p[@]} < 5)); do
      port="$(free_port)"
      [[ " ${p[*]} " == *" $port "* ]] || grep -q "=${port}\$" "$CLUSTER_DIR/ports.env" || p+=("$port")
    done
    printf 'SCHED_PORT=%s\nKUBELET_PORT=%s\nKUBELET_HEALTHZ_PORT=%s\nPROXY_HEALTHZ_PORT=%s\nPROXY_METRICS_PORT=%s\n' \
      "${p[@]}" >"$NODE_DIR/ports.env"
  fi
  # shellcheck disable=SC1091
  source "$NODE_DIR/ports.env"
}

node_component_bin() {
  case "$1" in
    containerd) command -v containerd ;;
    api-proxy) command -v socat ;;
    *) echo "${K8S_BIN_DIR}/$1" ;;
  esac
}

node_component_args() {
  case "$1" in
    kube-scheduler)
      echo --kubeconfig="$NODE_DIR/kube-scheduler.kubeconfig" --leader-elect=false --bind-address=127.0.0.1 \
        --secure-port="${SCHED_PORT}" --profiling=false --v=0
      ;;
    containerd) echo --config "$NODE_DIR/containerd/config.toml" --log-level warn ;;
    kubelet)
      echo --config="$NODE_DIR/kubelet.yaml" --kubeconfig="$NODE_DIR/kubelet.kubeconfig" \
        --root-dir="$NODE_DIR/kubelet" --cert-dir="$NODE_DIR/kubelet/pki" --hostname-override="$NODE_NAME" \
        --node-ip="$NODE_IP" --v=0
      ;;
    kube-proxy) echo --config="$NODE_DIR/kube-proxy.yaml" --v=0 ;;
    api-proxy) echo "TCP-LISTEN:${APISERVER_PORT},bind=${NODE_IP},reuseaddr,fork" "TCP:127.0.0.1:${APISERVER_PORT}" ;;
    local-path-provisioner)
      echo --debug start --kubeconfig "$CLUSTER_DIR/kubeconfig" --config "$NODE_DIR/local-path.json" \
        --provisioner-name rancher.io/local-path --namespace local-path-storage --helper-image "$NODE_IMAGE" \
        --service-account-name local-path-provisioner --helper-pod-file "$NODE_DIR/local-path-helper.yaml"
      ;;
  esac
}

node_ctr() { ctr --address "$NODE_SOCK" -n k8s.io "$@"; }

node_component_ready() {
  case "$1" in
    kube-scheduler) curl -sfk "https://127.0.0.1:${SCHED_PORT}/healthz" | grep -q ok ;;
    containerd) node_ctr version ;;
    kubelet) curl -sf "http://127.0.0.1:${KUBELET_HEALTHZ_PORT}/healthz" | grep -q ok ;;
    kube-proxy) curl -sf "http://127.0.0.1:${PROXY_HEALTHZ_PORT}/healthz" ;;
    api-proxy) curl -sf --cacert "$CLUSTER_DIR/pki/ca.crt" --cert "$CLUSTER_DIR/pki/admin.crt" \
      --key "$CLUSTER_DIR/pki/admin.key" --resolve "kubernetes:${APISERVER_PORT}:${NODE_IP}" \
      "https://kubernetes:${APISERVER_PORT}/readyz" | grep -q ok ;;
    local-path-provisioner) grep -q 'Provisioner started' "$CLUSTER_DIR/logs/local-path-provisioner.log" ;;
  esac
}

node_kubectl() { "${K8S_BIN_DIR}/kubectl" --kubeconfig "$CLUSTER_DIR/kubeconfig" "$@"; }

# import PATH: an image tarball (docker-archive or OCI archive) or an OCI layout dir into the node's containerd.
node_import() {
  local path="$1"
  node_enabled || die "no node in $CLUSTER_DIR (start it with: start --node)"
  if [[ -d "$path" ]]; then
    tar -C "$path" -cf - . | node_ctr images import - >&2
  else
    node_ctr images import "$path" >&2
  fi
}

node_start_one() {
  local name="$1"
  start_component "$name"
  wait_ready "$name" && return 0
  tail -n 30 "$CLUSTER_DIR/logs/$name.log" >&2
  die "$name did not become ready (log: $CLUSTER_DIR/logs/$name.log)"
}

node_start() {
  local started=$SECONDS
  command -v containerd >/dev/null && command -v socat >/dev/null && [[ -x /usr/lib/cni/bridge ]] \
    && command -v iptables >/dev/null || die "the node needs containerd, runc, socat, iptables and CNI plugins (npm run setup:tools)"
  mkdir -p "$NODE_DIR"
  node_lock
  node_load_ports
  node_save_sysctls
  node_note_host
  node_pki
  node_containerd_config
  node_cni_config
  node_kubelet_config
  node_proxy_config
  node_provisioner_config
  node_bridge_up
  node_cgroup_up
  node_start_one kube-scheduler
  node_start_one containerd
  if ! node_ctr images check "name==$NODE_IMAGE" 2>/dev/null | grep -q complete; then
    probe_image "$NODE_IMAGE" "$NODE_DIR/images/probe"
    node_import "$NODE_DIR/images/probe"
  fi
  node_start_one kubelet
  node_start_one kube-proxy
  node_start_one api-proxy
  node_manifests | node_kubectl apply -f - >/dev/null
  node_start_one local-path-provisioner
  node_kubectl wait --for=condition=Ready "node/$NODE_NAME" --timeout=120s >/dev/null \
    || die "node $NODE_NAME is not Ready (log: $CLUSTER_DIR/logs/kubelet.log)"
  log "node $NODE_NAME Ready in $((SECONDS - started)) s (containerd socket: $NODE_SOCK)"
}

# Stops components in parallel (each by its PID, TERM then KILL after 10 s).
node_stop_together() {
  local name
  for name in "$@"; do stop_component "$name" & done
  wait
}

# Pods first (through the kubelet, so the CRI tears their sandboxes and network namespaces down), then the
# node's processes by PID, then whatever the host still holds (node_host_clean).
node_stop() {
  node_enabled || return 0
  # shellcheck disable=SC1091
  [[ -f "$NODE_DIR/ports.env" ]] && source "$NODE_DIR/ports.env"
  node_stop_together local-path-provisioner kube-scheduler
  if [[ -n "$(component_pid kubelet)" && -n "$(component_pid kube-apiserver)" ]]; then
    node_kubectl delete pods --all --all-namespaces --force --grace-period=0 --wait=false >/dev/null 2>&1 || true
    local deadline=$((SECONDS + 30))
    while [[ -n "$(node_ctr tasks ls -q 2>/dev/null)" ]] && ((SECONDS < deadline)); do sleep 0.5; done
  fi
  node_stop_together kubelet kube-proxy api-proxy
  if [[ -n "$(component_pid containerd)" ]]; then
    node_ctr tasks ls -q 2>/dev/null | while read -r id; do node_ctr tasks kill -s SIGKILL "$id" >/dev/null 2>&1; done
  fi
  stop_component containerd
  node_host_clean
  node_unlock
}
