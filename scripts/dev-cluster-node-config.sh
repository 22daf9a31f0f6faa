# shellcheck shell=bash
# Configuration files of the dev node (sourced by scripts/dev-cluster.sh; see dev-cluster-node.sh).
# Everything lives under "$NODE_DIR"; nothing is written to /etc, /var/lib/containerd or /var/lib/kubelet.

# Identities: the kubelet as system:node:NAME (Node authorizer + NodeRestriction), the scheduler and kube-proxy
# as the users their default RBAC bindings name. Certificates from the cluster CA, kubeconfigs point at loopback.
node_pki() {
  local dir="$CLUSTER_DIR/pki" ext
  ext="$(printf '%s\n' 'basicConstraints=CA:FALSE' 'keyUsage=critical,digitalSignature,keyEncipherment' \
    'extendedKeyUsage=clientAuth')"
  [[ -f "$dir/kubelet.crt" ]] || pki_cert kubelet "/O=system:nodes/CN=system:node:${NODE_NAME}" "$ext"
  [[ -f "$dir/kube-scheduler.crt" ]] || pki_cert kube-scheduler "/CN=system:kube-scheduler" "$ext"
  [[ -f "$dir/kube-proxy.crt" ]] || pki_cert kube-proxy "/CN=system:kube-proxy" "$ext"
  chmod 600 "$dir"/*.key
  local name
  for name in kubelet kube-scheduler kube-proxy; do node_kubeconfig "$name"; done
}

node_kubeconfig() {
  local name="$1" pki="$CLUSTER_DIR/pki"
  cat >"$NODE_DIR/$name.kubeconfig" <<EOF_
apiVersion: v1
kind: Config
clusters:
- name: berth-dev
  cluster: { server: "https://127.0.0.1:${APISERVER_PORT}", certificate-authority: "$pki/ca.crt" }
users:
- name: $name
  user: { client-certificate: "$pki/$name.crt", client-key: "$pki/$name.key" }
contexts:
- name: berth-dev
  context: { cluster: berth-dev, user: $name }
current-context: berth-dev
EOF_
}

# containerd 1.6 with its own root, state, sockets and plugin dirs; the CRI plugin with
# restrict_oom_score_adj (root here lacks CAP_SYS_RESOURCE), cgroupfs, the node's CNI config, and
# certs.d/<host:port>/hosts.toml under config_path for registries (read on every pull).
node_containerd_config() {
  local d="$NODE_DIR/containerd" cri='plugins."io.containerd.grpc.v1.cri"'
  mkdir -p "$d/root" "$d/state" "$d/opt" "$NODE_DIR/certs.d"
  cat >"$d/config.toml" <<EOF_
version = 2
root = "$d/root"
state = "$d/state"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.internal.v1.tracing"]

[grpc]
  address = "$NODE_SOCK"
[ttrpc]
  address = "$d/containerd.sock.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""

[plugins."io.containerd.internal.v1.opt"]
  path = "$d/opt"
[$cri]
  sandbox_image = "$NODE_IMAGE"
  restrict_oom_score_adj = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  enable_selinux = false
  disable_apparmor = true
  [$cri.containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [$cri.containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [$cri.containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = "$d/runc"
  [$cri.cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$NODE_DIR/cni"
    max_conf_num = 1
  [$cri.registry]
    config_path = "$NODE_DIR/certs.d"
EOF_
}

# The CNI bridge with host-local IPAM (its state under $NODE_DIR). No IP masquerade, no portmap and no default
# route: pods reach pods, Services and the API server proxy on the bridge's gateway, and nothing else.
node_cni_config() {
  mkdir -p "$NODE_DIR/cni" "$NODE_DIR/cni-ipam"
  cat >"$NODE_DIR/cni/10-berth.conflist" <<EOF_
{
  "cniVersion": "0.4.0",
  "name": "$NODE_NETWORK",
  "plugins": [{
    "type": "bridge", "bridge": "$NODE_BRIDGE", "isGateway": true, "ipMasq": false, "hairpinMode": true,
    "ipam": {
      "type": "host-local", "dataDir": "$NODE_DIR/cni-ipam",
      "ranges": [[{ "subnet": "$NODE_POD_CIDR", "gateway": "$NODE_IP" }]],
      "routes": [{ "dst": "$CLUSTER_CIDR" }, { "dst": "$SERVICE_CIDR" }]
    }
  }]
}
EOF_
}

node_kubelet_config() {
  mkdir -p "$NODE_DIR/kubelet" "$NODE_DIR/pod-logs"
  cat >"$NODE_DIR/kubelet.yaml" <<EOF_
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $NODE_IP
port: $KUBELET_PORT
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: $KUBELET_HEALTHZ_PORT
authentication:
  anonymous: { enabled: false }
  webhook: { enabled: true }
  x509: { clientCAFile: "$CLUSTER_DIR/pki/ca.crt" }
authorization: { mode: Webhook }
containerRuntimeEndpoint: "unix://$NODE_SOCK"
cgroupDriver: cgroupfs
cgroupRoot: /$NODE_CGROUP
cgroupsPerQOS: true
failCgroupV1: false
failSwapOn: false
podLogsDir: "$NODE_DIR/pod-logs"
resolvConf: ""
clusterDNS: []
serializeImagePulls: false
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: { memory.available: "50Mi", nodefs.available: "1%", imagefs.available: "1%", nodefs.inodesFree: "1%" }
shutdownGracePeriod: 0s
rotateCertificates: false
serverTLSBootstrap: false
EOF_
}

node_proxy_config() {
  cat >"$NODE_DIR/kube-proxy.yaml" <<EOF_
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: { kubeconfig: "$NODE_DIR/kube-proxy.kubeconfig" }
hostnameOverride: $NODE_NAME
mode: iptables
clusterCIDR: $CLUSTER_CIDR
bindAddress: $NODE_IP
healthzBindAddress: 127.0.0.1:$PROXY_HEALTHZ_PORT
metricsBindAddress: 127.0.0.1:$PROXY_METRICS_PORT
nodePortAddresses: ["127.0.0.1/32", "$NODE_IP/32"]
conntrack: { maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s }
iptables: { syncPeriod: 10s, minSyncPeriod: 0s }
EOF_
}

# local-path-provisioner runs on the host with the admin kubeconfig; its helper pods (mkdir / rm -rf of a
# volume dir under $NODE_DIR/local-path) use the probe image, whose binary does what the default scripts do.
node_provisioner_config() {
  mkdir -p "$NODE_DIR/local-path"
  cat >"$NODE_DIR/local-path.json" <<EOF_
{
  "nodePathMap": [{ "node": "DEFAULT_PATH_FOR_NON_LISTED_NODES", "paths": ["$NODE_DIR/local-path"] }],
  "setupCommand": "/probe",
  "teardownCommand": "/probe"
}
EOF_
  cat >"$NODE_DIR/local-path-helper.yaml" <<EOF_
apiVersion: v1
kind: Pod
metadata: { name: helper-pod }
spec:
  containers:
  - { name: helper-pod, image: "$NODE_IMAGE", imagePullPolicy: Never }
EOF_
}

# Objects the node needs in the cluster: the pods' way to the API server (an EndpointSlice for the `kubernetes`
# Service pointing at the API proxy on the bridge gateway), the provisioner's namespace and service account,
# and the default StorageClass.
node_manifests() {
  cat <<EOF_
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: kubernetes-dev-node
  namespace: default
  labels: { kubernetes.io/service-name: kubernetes, endpointslice.kubernetes.io/managed-by: berth.dev-cluster }
addressType: IPv4
endpoints: [{ addresses: ["$NODE_IP"], conditions: { ready: true } }]
ports: [{ name: https, port: $APISERVER_PORT, protocol: TCP }]
---
apiVersion: v1
kind: Namespace
metadata: { name: local-path-storage }
---
apiVersion: v1
kind: ServiceAccount
metadata: { name: local-path-provisioner, namespace: local-path-storage }
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: local-path
  annotations: { storageclass.kubernetes.io/is-default-class: "true" }
provisioner: rancher.io/local-path
volumeBindingMode: WaitForFirstConsumer
reclaimPolicy: Delete
EOF_
}
