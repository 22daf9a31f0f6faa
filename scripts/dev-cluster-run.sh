# shellcheck shell=bash
# start / stop / status of the local control plane (sourced by scripts/dev-cluster.sh).
#
# Layout of "$CLUSTER_DIR":
#   ports.env          the loopback ports chosen on first start (kept, so a restarted component keeps its port)
#   kubeconfig         admin kubeconfig (system:masters client certificate)
#   pki/               certificates and keys (dev-cluster-pki.sh)
#   etcd/              etcd data
#   run/NAME.pid       process ids;  logs/NAME.log  component logs

COMPONENTS=(etcd kube-apiserver kube-controller-manager)

# A free loopback port below the kernel's ephemeral range (32768+ here), so an outgoing connection of another
# process does not take it between this check and the component binding it.
free_port() {
  node -e '
    const net = require("net");
    const tryPort = (n) => {
      const port = 20000 + Math.floor(Math.random() * 12000);
      const s = net.createServer().once("error", () => (n > 0 ? tryPort(n - 1) : process.exit(1)));
      s.listen(port, "127.0.0.1", () => s.close(() => console.log(port)));
    };
    tryPort(50);'
}

FRESH_PORTS=0
# Four different free ports (each pick is free on its own; two picks may still coincide).
distinct_ports() {
  local ports=()
  while ((${#ports[@]} < 4)); do
    local p
    p="$(free_port)"
    [[ " ${ports[*]} " == *" $p "* ]] || ports+=("$p")
  done
  echo "${ports[@]}"
}

load_ports() {
  if [[ ! -f "$CLUSTER_DIR/ports.env" ]]; then
    local p
    read -r -a p <<<"$(distinct_ports)"
    printf 'ETCD_PORT=%s\nETCD_PEER_PORT=%s\nAPISERVER_PORT=%s\nKCM_PORT=%s\n' "${p[@]}" >"$CLUSTER_DIR/ports.env"
    FRESH_PORTS=1
  fi
  # shellcheck disable=SC1091
  source "$CLUSTER_DIR/ports.env"
}

# New ports for a component whose port was taken after we picked it (only on a first start: a restarted
# component keeps its ports, or clients would lose it).
repick_ports() {
  local var
  case "$1" in
    etcd) set -- ETCD_PORT ETCD_PEER_PORT ;;
    kube-apiserver) set -- APISERVER_PORT ;;
    kube-controller-manager) set -- KCM_PORT ;;
  esac
  local port
  for var in "$@"; do
    port="$(free_port)"
    while grep -q "=${port}\$" "$CLUSTER_DIR/ports.env"; do port="$(free_port)"; done
    sed -i "s/^${var}=.*/${var}=${port}/" "$CLUSTER_DIR/ports.env"
  done
  # shellcheck disable=SC1091
  source "$CLUSTER_DIR/ports.env"
}

# The binary a component runs (the node's are in dev-cluster-node.sh).
component_bin() {
  case "$1" in
    etcd | kube-apiserver | kube-controller-manager) echo "${K8S_BIN_DIR}/$1" ;;
    *) node_component_bin "$1" ;;
  esac
}

# The pid of a running component, or nothing. Checks the command line, so a reused pid is never taken for ours.
component_pid() {
  local name="$1" pid
  pid="$(cat "$CLUSTER_DIR/run/$name.pid" 2>/dev/null)" || return 0
  [[ -n "$pid" && -r "/proc/$pid/cmdline" ]] || return 0
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$(component_bin "$name") " && echo "$pid"
  return 0
}

component_args() {
  local pki="$CLUSTER_DIR/pki"
  case "$1" in
    etcd)
      echo --name=default --data-dir="$CLUSTER_DIR/etcd" \
        --listen-client-urls="http://127.0.0.1:${ETCD_PORT}" --advertise-client-urls="http://127.0.0.1:${ETCD_PORT}" \
        --listen-peer-urls="http://127.0.0.1:${ETCD_PEER_PORT}" \
        --initial-advertise-peer-urls="http://127.0.0.1:${ETCD_PEER_PORT}" \
        --initial-cluster="default=http://127.0.0.1:${ETCD_PEER_PORT}" \
        --unsafe-no-fsync=true --log-level=warn
      ;;
    kube-apiserver)
      echo --etcd-servers="http://127.0.0.1:${ETCD_PORT}" --bind-address=127.0.0.1 --advertise-address=127.0.0.1 \
        --secure-port="${APISERVER_PORT}" --tls-cert-file="$pki/apiserver.crt" --tls-private-key-file="$pki/apiserver.key" \
        --client-ca-file="$pki/ca.crt" --authorization-mode=Node,RBAC --enable-admission-plugins=NodeRestriction \
        --kubelet-preferred-address-types=InternalIP,Hostname --kubelet-client-certificate="$pki/admin.crt" \
        --kubelet-client-key="$pki/admin.key" \
        --service-account-issuer=https://kubernetes.default.svc --service-account-key-file="$pki/sa.pub" \
        --service-account-signing-key-file="$pki/sa.key" --service-cluster-ip-range=10.0.0.0/24 \
        --endpoint-reconciler-type=none --profiling=false --v=0
      ;;
    kube-controller-manager)
      echo --kubeconfig="$CLUSTER_DIR/kubeconfig" --leader-elect=false --bind-address=127.0.0.1 \
        --secure-port="${KCM_PORT}" --service-account-private-key-file="$pki/sa.key" --root-ca-file="$pki/ca.crt" \
        --use-service-account-credentials=false --concurrent-gc-syncs=5 --profiling=false --v=0
      ;;
    *) node_component_args "$1" ;;
  esac
}

start_component() {
  local name="$1"
  [[ -n "$(component_pid "$name")" ]] && return 0
  # shellcheck disable=SC2046 # the arguments contain no spaces
  nohup "$(component_bin "$name")" $(component_args "$name") </dev/null >>"$CLUSTER_DIR/logs/$name.log" 2>&1 &
  local pid=$! i
  echo "$pid" >"$CLUSTER_DIR/run/$name.pid"
  # Until the forked shell has exec'd the binary, its command line is not the component's: a loaded machine
  # can take a while, and wait_ready would take the component for dead.
  for i in $(seq 1 50); do
    [[ -n "$(component_pid "$name")" ]] || ! kill -0 "$pid" 2>/dev/null && break
    sleep 0.1
  done
}

# wait_ready NAME: polls the component every 0.2 s until it is ready; fails at once if it exited, or after 90 s.
wait_ready() {
  local name="$1" deadline=$((SECONDS + 90))
  until component_ready "$name" >/dev/null 2>&1; do
    [[ -n "$(component_pid "$name")" ]] || return 1
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
  log "$name is ready"
}

apiserver_get() {
  curl -sf --cacert "$CLUSTER_DIR/pki/ca.crt" --cert "$CLUSTER_DIR/pki/admin.crt" --key "$CLUSTER_DIR/pki/admin.key" \
    "https://127.0.0.1:${APISERVER_PORT}$1"
}

component_ready() {
  case "$1" in
    etcd) curl -sf "http://127.0.0.1:${ETCD_PORT}/health" | grep -q '"health":"true"' ;;
    kube-apiserver) [[ "$(apiserver_get /readyz)" == ok ]] ;;
    kube-controller-manager) curl -sfk "https://127.0.0.1:${KCM_PORT}/healthz" | grep -q ok ;;
    *) node_component_ready "$1" ;;
  esac
}

# start [--node]: the control plane, plus the node if asked (or if this data dir already has one).
cluster_start() {
  k8s_build
  mkdir -p "$CLUSTER_DIR/run" "$CLUSTER_DIR/logs"
  [[ "${1:-}" == --node ]] && mkdir -p "$NODE_DIR"
  load_ports
  pki_generate
  local name attempt
  for name in "${COMPONENTS[@]}"; do
    for attempt in 1 2 3; do
      pki_kubeconfig "$CLUSTER_DIR/kubeconfig" "https://127.0.0.1:${APISERVER_PORT}"
      start_component "$name"
      wait_ready "$name" && continue 2
      if ((FRESH_PORTS && attempt < 3)) && grep -q 'address already in use' "$CLUSTER_DIR/logs/$name.log"; then
        log "$name: a port was taken meanwhile, picking others"
        stop_component "$name"
        : >"$CLUSTER_DIR/logs/$name.log"
        repick_ports "$name"
        continue
      fi
      tail -n 30 "$CLUSTER_DIR/logs/$name.log" >&2
      die "$name did not become ready (log: $CLUSTER_DIR/logs/$name.log)"
    done
  done
  if node_enabled; then node_start; fi
  echo "$CLUSTER_DIR/kubeconfig"
}

stop_component() {
  local name="$1" pid i
  pid="$(component_pid "$name")"
  rm -f "$CLUSTER_DIR/run/$name.pid"
  [[ -n "$pid" ]] || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  for i in $(seq 1 50); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.2
  done
  kill -KILL "$pid" 2>/dev/null || true
}

cluster_stop() {
  [[ -d "$CLUSTER_DIR" ]] || return 0
  local i
  node_stop
  for ((i = ${#COMPONENTS[@]} - 1; i >= 0; i--)); do stop_component "${COMPONENTS[$i]}"; done
  [[ -f "$CLUSTER_DIR/ports.env" ]] && rm -rf "$CLUSTER_DIR"
  log "stopped"
}

cluster_status() {
  local name pid running=0 all=("${COMPONENTS[@]}")
  node_enabled && all+=("${NODE_COMPONENTS[@]}")
  for name in "${all[@]}"; do
    pid="$(component_pid "$name")"
    if [[ -n "$pid" ]]; then running=$((running + 1)); log "$name running (pid $pid)"; else log "$name not running"; fi
  done
  ((running == ${#all[@]})) || return 1
  echo "$CLUSTER_DIR/kubeconfig"
}

cluster_env() {
  echo "export KUBECONFIG='$CLUSTER_DIR/kubeconfig'"
  echo "export PATH='${K8S_BIN_DIR}':\"\$PATH\""
  echo "export BERTH_K8S_BIN_DIR='${K8S_BIN_DIR}'"
  if node_enabled; then echo "export BERTH_NODE_CONTAINERD_SOCK='${NODE_SOCK}'"; fi
}
