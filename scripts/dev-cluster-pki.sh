# shellcheck shell=bash
# Certificates and keys of the local control plane (sourced by scripts/dev-cluster.sh).
# Everything is generated with openssl into "$CLUSTER_DIR/pki", once per data dir:
#   ca.{crt,key}            the cluster CA (serving and client certificates)
#   apiserver.{crt,key}     kube-apiserver serving certificate for 127.0.0.1 and localhost
#   admin.{crt,key}         client certificate in group system:masters (the admin kubeconfig)
#   sa.{key,pub}            service-account token signing key pair

pki_cert() {
  # pki_cert NAME SUBJECT EXTFILE-CONTENT: a key and a certificate signed by the CA.
  local name="$1" subject="$2" ext="$3" dir="$CLUSTER_DIR/pki"
  openssl ecparam -name prime256v1 -genkey -noout -out "$dir/$name.key" 2>/dev/null
  openssl req -new -key "$dir/$name.key" -subj "$subject" -out "$dir/$name.csr" 2>/dev/null
  printf '%s\n' "$ext" >"$dir/$name.ext"
  openssl x509 -req -in "$dir/$name.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial \
    -days 3650 -sha256 -extfile "$dir/$name.ext" -out "$dir/$name.crt" 2>/dev/null
  rm -f "$dir/$name.csr" "$dir/$name.ext"
}

pki_generate() {
  local dir="$CLUSTER_DIR/pki"
  [[ -f "$dir/admin.crt" ]] && return 0
  command -v openssl >/dev/null || die "openssl is not installed"
  mkdir -p "$dir"
  chmod 700 "$dir"
  openssl ecparam -name prime256v1 -genkey -noout -out "$dir/ca.key" 2>/dev/null
  openssl req -x509 -new -key "$dir/ca.key" -subj "/CN=berth-dev-cluster-ca" -days 3650 -sha256 \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out "$dir/ca.crt" 2>/dev/null
  pki_cert apiserver "/CN=kube-apiserver" "$(printf '%s\n' \
    'basicConstraints=CA:FALSE' 'keyUsage=critical,digitalSignature,keyEncipherment' \
    'extendedKeyUsage=serverAuth' \
    'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,IP:10.0.0.1')"
  pki_cert admin "/O=system:masters/CN=berth-dev-admin" "$(printf '%s\n' \
    'basicConstraints=CA:FALSE' 'keyUsage=critical,digitalSignature,keyEncipherment' 'extendedKeyUsage=clientAuth')"
  openssl genrsa -out "$dir/sa.key" 2048 2>/dev/null
  openssl rsa -in "$dir/sa.key" -pubout -out "$dir/sa.pub" 2>/dev/null
  chmod 600 "$dir"/*.key
}

# Writes an admin kubeconfig with the certificates embedded (so it can be copied elsewhere). A subshell, so its
# umask 077 stays here: leaked into the script, it made containerd's snapshots 0700 and every non-root container
# failed with `stat /usr/local/bin/node: permission denied`.
pki_kubeconfig() (
  local out="$1" server="$2" dir="$CLUSTER_DIR/pki"
  umask 077
  cat >"$out" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: berth-dev
  cluster:
    server: ${server}
    certificate-authority-data: $(base64 -w0 <"$dir/ca.crt")
users:
- name: berth-dev-admin
  user:
    client-certificate-data: $(base64 -w0 <"$dir/admin.crt")
    client-key-data: $(base64 -w0 <"$dir/admin.key")
contexts:
- name: berth-dev
  context: { cluster: berth-dev, user: berth-dev-admin }
current-context: berth-dev
EOF
)
