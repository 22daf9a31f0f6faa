# shellcheck shell=bash
# The image's file system trees and their layers. Every layer is a tar with entries sorted by name, owner
# 0:0 (/var/lib/berth 65532:65532), every mtime SOURCE_DATE_EPOCH and `gzip -n`, so rebuilding gives the same
# bytes. Sourced by scripts/image/build.sh, which sets REPO, CACHE, LOCK, SOURCE_DATE_EPOCH and log().

RUN_AS=65532
STORAGE_DIR=var/lib/berth
HOME_DIR=home/nonroot

# tar_tree DIR OUT.tar [TAR_OPTION...]: a reproducible tar of DIR's contents (names without a leading ./).
tar_tree() {
  local dir="$1" out="$2" entries
  shift 2
  mapfile -t entries < <(cd "$dir" && find . -mindepth 1 -maxdepth 1 -printf '%P\n' | LC_ALL=C sort)
  tar --create --file="$out" --directory="$dir" --sort=name --format=posix \
    --pax-option='exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime' \
    --mtime="@$SOURCE_DATE_EPOCH" --owner=0 --group=0 --numeric-owner "$@" -- "${entries[@]}"
}

# tar_append DIR OUT.tar PATH UID: appends DIR/PATH (a directory) to OUT.tar, owned by UID:UID.
tar_append() {
  tar --append --file="$2" --directory="$1" --no-recursion --format=posix \
    --pax-option='exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime' \
    --mtime="@$SOURCE_DATE_EPOCH" --owner="$4" --group="$4" --numeric-owner -- "$3"
}

# base_tree ARCH DIR: unpacks the locked .debs for ARCH into DIR (`dpkg-deb -x`: no maintainer script runs)
# and adds what those scripts would have made: the CA bundle, passwd/group with the user 65532, the storage
# folder. Documentation other than copyright files is dropped.
base_tree() {
  local arch="$1" root="$2" name version sha deb
  while read -r _ _ name version sha; do
    deb="$(deb_fetch "$arch" "$name" "$version" "$sha")" || return 1
    dpkg-deb -x "$deb" "$root" || return 1
    # What scanners (syft, trivy) read in distroless images: one control file a package, no dpkg database.
    mkdir -p "$root/var/lib/dpkg/status.d"
    dpkg-deb -f "$deb" >"$root/var/lib/dpkg/status.d/$name" || return 1
  done < <(lock_lines "$arch" deb)
  rm -rf "$root/usr/share/man" "$root/usr/share/info" "$root/usr/share/lintian" "$root/usr/sbin/update-ca-certificates"
  find "$root/usr/share/doc" -mindepth 2 ! -name copyright ! -type d -delete
  find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete
  ca_bundle "$root"
  mkdir -p "$root/etc" "$root/tmp" "$root/$STORAGE_DIR" "$root/$HOME_DIR"
  chmod 1777 "$root/tmp"
  printf '%s\n' 'root:x:0:0:root:/root:/sbin/nologin' \
    "nonroot:x:$RUN_AS:$RUN_AS:nonroot:/home/nonroot:/sbin/nologin" >"$root/etc/passwd"
  printf '%s\n' 'root:x:0:' "nonroot:x:$RUN_AS:" >"$root/etc/group"
  printf '%s\n' 'passwd: files' 'group: files' 'hosts: files dns' >"$root/etc/nsswitch.conf"
}

# ca_bundle ROOT: /etc/ssl/certs/ca-certificates.crt from ca-certificates' Mozilla certificates, in name order
# (what update-ca-certificates would write with the default /etc/ca-certificates.conf).
ca_bundle() {
  local root="$1" crt
  mkdir -p "$root/etc/ssl/certs"
  : >"$root/etc/ssl/certs/ca-certificates.crt"
  while read -r crt; do
    sed -e '$a\' "$root/usr/share/ca-certificates/$crt" >>"$root/etc/ssl/certs/ca-certificates.crt"
  done < <(cd "$root/usr/share/ca-certificates" && find . -name '*.crt' -printf '%P\n' | LC_ALL=C sort)
  [[ -s "$root/etc/ssl/certs/ca-certificates.crt" ]] || { log "empty CA bundle"; return 1; }
}

# node_tree ARCH DIR: /usr/local/bin/node (and its licence) from the locked npm tarball for ARCH.
node_tree() {
  local arch="$1" root="$2" name version sha tgz tmp
  read -r _ _ name version sha < <(lock_lines "$arch" npm) || { log "no npm line for $arch in the lock"; return 1; }
  [[ "$version" == "$(node_version)" ]] || {
    log "lock has Node $version, scripts/install-tools.sh pins $(node_version): run with --update-lock"
    return 1
  }
  tgz="$(node_fetch "$arch" "$version" "$sha")" || return 1
  tmp="$(mktemp -d)"
  tar -xzf "$tgz" -C "$tmp" package/bin/node package/LICENSE || { rm -rf "$tmp"; return 1; }
  install -D -m 0755 "$tmp/package/bin/node" "$root/usr/local/bin/node"
  install -D -m 0644 "$tmp/package/LICENSE" "$root/usr/local/share/doc/node/LICENSE"
  rm -rf "$tmp"
}

# modules_tree DIR: the production node_modules (`npm ci --omit=dev`, no install scripts) under DIR/app.
modules_tree() {
  local root="$1"
  mkdir -p "$root/app"
  cp "$REPO/package.json" "$REPO/package-lock.json" "$root/app/"
  (cd "$root/app" && npm ci --omit=dev --ignore-scripts --prefer-offline --no-audit --no-fund --loglevel=error >&2) ||
    return 1
  rm -f "$root/app/package.json" "$root/app/package-lock.json"
  no_native_addons "$root/app/node_modules"
}

# no_native_addons DIR: fails, naming them, when DIR holds native addons (*.node): the node_modules layer is
# shared by every architecture, so it must be plain JavaScript.
no_native_addons() {
  local addons
  addons="$(find "$1" -name '*.node' -type f -printf '%P\n' | LC_ALL=C sort)"
  [[ -z "$addons" ]] && return 0
  log "native addons in the production dependencies (one node_modules layer serves every architecture):"
  printf '  %s\n' $addons >&2
  return 1
}

# app_tree DIR: the compiled application (`npm run build`: dist/src) and package.json under DIR/app.
app_tree() {
  local root="$1"
  [[ -f "$REPO/dist/src/cli/main.js" ]] || { log "dist/src/cli/main.js missing: run npm run build first"; return 1; }
  mkdir -p "$root/app/dist"
  cp -r "$REPO/dist/src" "$root/app/dist/src"
  cp "$REPO/package.json" "$root/app/package.json"
}

# layer DIR BLOBS OWNED_BY_USER...: writes DIR as a gzip'd layer into BLOBS; prints "DIGEST SIZE DIFF_ID".
# Paths in OWNED_BY_USER (directories) are appended owned by the user 65532.
layer() {
  local dir="$1" blobs="$2" tar diff digest path
  shift 2
  tar="$(mktemp)"
  if (($# > 0)); then
    local excludes=()
    for path in "$@"; do excludes+=("--exclude=./$path" "--exclude=$path"); done
    tar_tree "$dir" "$tar" "${excludes[@]}" || return 1
    for path in "$@"; do tar_append "$dir" "$tar" "$path" "$RUN_AS" || return 1; done
  else
    tar_tree "$dir" "$tar" --mode=u+rwX,go=rX || return 1
  fi
  diff="$(sha256sum "$tar" | cut -d' ' -f1)"
  gzip -n -c "$tar" >"$tar.gz" && rm -f "$tar"
  digest="$(sha256sum "$tar.gz" | cut -d' ' -f1)"
  mv "$tar.gz" "$blobs/$digest"
  echo "sha256:$digest $(stat -c %s "$blobs/$digest") sha256:$diff"
}
