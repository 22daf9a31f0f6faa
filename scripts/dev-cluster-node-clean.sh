# shellcheck shell=bash
# Host state of the dev node and its restoration (sourced by scripts/dev-cluster.sh; see dev-cluster-node.sh):
# the machine-wide lock, sysctls, the bridge, the cgroup subtree, mounts, iptables rules, stray processes.

# Kernel settings the kubelet, kube-proxy and the CNI bridge change: saved before the first start, restored on stop.
NODE_SYSCTLS=(vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops kernel.keys.root_maxkeys
  kernel.keys.root_maxbytes net.ipv4.ip_forward net.ipv4.conf.all.route_localnet net.bridge.bridge-nf-call-iptables
  net.netfilter.nf_conntrack_max net.netfilter.nf_conntrack_tcp_timeout_established
  net.netfilter.nf_conntrack_tcp_timeout_close_wait)

# One node on this machine at a time (the bridge, the cgroup and the iptables chains are machine-wide): the lock
# file names the owning cluster dir; an owner whose node no longer runs is cleaned up and replaced.
node_lock() {
  local deadline=$((SECONDS + ${BERTH_NODE_LOCK_TIMEOUT:-900})) owner
  while :; do
    exec 8>>"$NODE_LOCK"
    flock 8
    owner="$(cat "$NODE_LOCK.owner" 2>/dev/null || true)"
    if [[ -z "$owner" || "$owner" == "$CLUSTER_DIR" ]]; then
      echo "$CLUSTER_DIR" >"$NODE_LOCK.owner"
      exec 8>&-
      return 0
    fi
    exec 8>&-
    if ! node_owner_alive "$owner"; then
      log "node of $owner is not running: cleaning it up"
      if [[ -d "$owner/node" ]]; then (BERTH_CLUSTER_DIR="$owner" bash "$SCRIPT_DIR/dev-cluster.sh" stop) || true; fi
      node_unlock_for "$owner"
      continue
    fi
    ((SECONDS < deadline)) || die "the node of $owner still runs (lock: $NODE_LOCK.owner)"
    ((SECONDS % 30)) || log "waiting for the node of $owner (one node per machine)"
    sleep 1
  done
}

node_owner_alive() {
  local pid name
  for name in kubelet containerd; do
    pid="$(cat "$1/run/$name.pid" 2>/dev/null)" || continue
    [[ -n "$pid" && -d "/proc/$pid" ]] && return 0
  done
  return 1
}

# node_unlock_for DIR: frees the lock if DIR holds it.
node_unlock_for() {
  exec 8>>"$NODE_LOCK"
  flock 8
  if [[ "$(cat "$NODE_LOCK.owner" 2>/dev/null)" == "$1" ]]; then rm -f "$NODE_LOCK.owner"; fi
  exec 8>&-
}

node_unlock() { node_unlock_for "$CLUSTER_DIR"; }

node_save_sysctls() {
  [[ -f "$NODE_DIR/sysctl.saved" ]] && return 0
  local key
  for key in "${NODE_SYSCTLS[@]}"; do
    echo "$key=$(sysctl -n "$key" 2>/dev/null | tr '\t' ' ')"
  done >"$NODE_DIR/sysctl.saved"
}

node_restore_sysctls() {
  [[ -f "$NODE_DIR/sysctl.saved" ]] || return 0
  local line
  while IFS= read -r line; do
    [[ "${line#*=}" == "" ]] && continue
    [[ "$(sysctl -n "${line%%=*}" 2>/dev/null | tr '\t' ' ')" == "${line#*=}" ]] || sysctl -q -w "$line" >/dev/null || true
  done <"$NODE_DIR/sysctl.saved"
  rm -f "$NODE_DIR/sysctl.saved"
}

# The bridge exists before the kubelet starts: its gateway address is the node's InternalIP, the kubelet's
# serving address and the API proxy's listen address. The CNI bridge plugin adopts it.
node_bridge_up() {
  ip link show "$NODE_BRIDGE" >/dev/null 2>&1 || ip link add "$NODE_BRIDGE" type bridge
  ip addr show dev "$NODE_BRIDGE" | grep -q "inet $NODE_IP/" || ip addr add "$NODE_IP/${NODE_POD_CIDR#*/}" dev "$NODE_BRIDGE"
  ip link set "$NODE_BRIDGE" up
  sysctl -q -w net.bridge.bridge-nf-call-iptables=1 net.ipv4.ip_forward=1 >/dev/null
}

# The kubelet's cgroupRoot, in every cgroup v1 hierarchy (cpuset needs its cpus and mems before any child).
node_cgroup_up() {
  local h
  for h in /sys/fs/cgroup/*/; do
    [[ -d "$h$NODE_CGROUP" ]] || mkdir "$h$NODE_CGROUP" 2>/dev/null || continue
  done
  if [[ -d "/sys/fs/cgroup/cpuset/$NODE_CGROUP" ]]; then
    cp /sys/fs/cgroup/cpuset/cpuset.cpus "/sys/fs/cgroup/cpuset/$NODE_CGROUP/cpuset.cpus"
    cp /sys/fs/cgroup/cpuset/cpuset.mems "/sys/fs/cgroup/cpuset/$NODE_CGROUP/cpuset.mems"
  fi
}

# Kills every process left in the node's cgroups (containers whose shim died), then removes the cgroups.
node_cgroup_down() {
  local h pids dir i
  for i in 1 2 3; do
    pids="$(find "/sys/fs/cgroup/pids/$NODE_CGROUP" -name cgroup.procs -exec cat {} + 2>/dev/null | sort -u || true)"
    [[ -z "$pids" ]] && break
    # shellcheck disable=SC2086
    kill -KILL $pids 2>/dev/null || true
    sleep 0.5
  done
  for h in /sys/fs/cgroup/*/; do
    [[ -d "$h$NODE_CGROUP" ]] || continue
    find "$h$NODE_CGROUP" -depth -type d 2>/dev/null | while read -r dir; do rmdir "$dir" 2>/dev/null || true; done
  done
}

# containerd shims outlive containerd: they are found by our own socket path on their command line.
node_kill_shims() {
  local f pid
  for f in $(grep -lsaF -- "$NODE_SOCK" /proc/[0-9]*/cmdline); do
    pid="${f#/proc/}" && pid="${pid%/cmdline}"
    { tr '\0' ' ' <"$f"; } 2>/dev/null | grep -q -- "-address $NODE_SOCK " && kill -KILL "$pid" 2>/dev/null
  done
  return 0
}

# Host paths the node's programs create outside the node dir whatever their configuration: containerd 1.6's shim
# sockets, the CRI's network namespaces, the kubelet's device-plugin socket and log symlinks, libcni's cache.
NODE_HOST_DIRS=(/run/containerd /run/netns /var/lib/kubelet /var/log/containers /var/lib/cni)

# Before the first start: which of them exist, and which network namespaces (so ours are told apart on stop).
node_note_host() {
  [[ -f "$NODE_DIR/host-dirs.before" ]] && return 0
  ls /run/netns 2>/dev/null >"$NODE_DIR/netns.before" || true
  local d
  for d in "${NODE_HOST_DIRS[@]}"; do if [[ -e "$d" ]]; then echo "$d"; fi; done >"$NODE_DIR/host-dirs.before"
}

# Unmounts everything under the node dir (deepest first), and removes the CRI network namespaces (cni-*) that
# appeared while the node ran (one node per machine: they are ours).
node_unmount() {
  local m
  awk '{ print $5 }' /proc/self/mountinfo | grep -E "^${NODE_DIR}/" | sort -r | while read -r m; do
    umount -l "$m" 2>/dev/null || true
  done
  [[ -f "$NODE_DIR/netns.before" ]] || return 0
  for m in /run/netns/cni-*; do
    [[ -e "$m" ]] && ! grep -qxF "${m#/run/netns/}" "$NODE_DIR/netns.before" || continue
    umount -l "$m" 2>/dev/null || true
    rm -f "$m"
  done
}

# Of the host dirs that did not exist before the start: sockets and symlinks into the node dir, then empty dirs.
node_host_dirs_clean() {
  [[ -f "$NODE_DIR/host-dirs.before" ]] || return 0
  local d
  for d in "${NODE_HOST_DIRS[@]}"; do
    [[ -d "$d" ]] && ! grep -qxF "$d" "$NODE_DIR/host-dirs.before" || continue
    find "$d" -type s -delete 2>/dev/null || true
    find "$d" -depth -type d -empty -delete 2>/dev/null || true
  done
}

# kube-proxy --cleanup removes its own rules; the kubelet's chains (KUBE-FIREWALL drops non-loopback packets to
# 127.0.0.0/8, KUBE-KUBELET-CANARY, ...) and anything left are removed by name, with the jumps to them.
node_iptables_clean() {
  "${K8S_BIN_DIR}/kube-proxy" --cleanup >>"$CLUSTER_DIR/logs/kube-proxy.log" 2>&1 || true
  local cmd table rule chain
  for cmd in iptables ip6tables; do
    command -v "$cmd" >/dev/null || continue
    for table in filter nat mangle raw; do
      "$cmd-save" -t "$table" 2>/dev/null | grep -E '^-A [A-Z]+ .*-j KUBE-' | while read -r rule; do
        # shellcheck disable=SC2086 # a rule from iptables-save, its words are the arguments
        eval "$cmd -t $table -D ${rule#-A }" 2>/dev/null || true
      done
      "$cmd-save" -t "$table" 2>/dev/null | sed -n 's/^:\(KUBE-[^ ]*\) .*/\1/p' | while read -r chain; do
        "$cmd" -t "$table" -F "$chain" 2>/dev/null || true
      done
      "$cmd-save" -t "$table" 2>/dev/null | sed -n 's/^:\(KUBE-[^ ]*\) .*/\1/p' | while read -r chain; do
        "$cmd" -t "$table" -X "$chain" 2>/dev/null || true
      done
    done
  done
}

# Files outside the node dir: libcni's result cache and the kubelet's /var/log/containers symlinks.
node_files_clean() {
  rm -f /var/lib/cni/results/"$NODE_NETWORK"-* 2>/dev/null || true
  local link
  for link in /var/log/containers/*.log; do
    [[ -L "$link" && "$(readlink "$link")" == "$NODE_DIR"/* ]] && rm -f "$link"
  done
  return 0
}

# Everything above, in order; safe to run twice and after a crash (a failing step does not stop the others).
node_host_clean() {
  node_kill_shims || true
  node_cgroup_down || true
  node_unmount || true
  ip link del "$NODE_BRIDGE" 2>/dev/null || true
  node_iptables_clean || true
  node_files_clean || true
  node_host_dirs_clean || true
  node_restore_sysctls || true
}
