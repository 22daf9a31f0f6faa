# shellcheck shell=bash
# Debian packages for the image's base layer: a private APT configuration (the host's apt state is never read
# or written), the lock file (scripts/image/debian.lock) and a content-addressed cache of .deb files.
# Sourced by scripts/image/build.sh, which sets CACHE, LOCK and log().

DEBIAN_PACKAGES=(base-files netbase tzdata libc6 libgcc-s1 gcc-12-base libstdc++6 ca-certificates)
DEBIAN_MIRROR="${BERTH_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
DEBIAN_SECURITY_MIRROR="${BERTH_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}"
DEBIAN_KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg

# apt_private: writes $CACHE/apt (config, sources, empty dpkg status) and exports APT_CONFIG pointing to it.
apt_private() {
  local dir="$CACHE/apt"
  mkdir -p "$dir/state/lists/partial" "$dir/cache/archives/partial" "$dir/etc/apt.conf.d" "$dir/etc/preferences.d"
  : >"$dir/state/status"
  cat >"$dir/sources.list" <<SOURCES
deb [arch=amd64,arm64 signed-by=$DEBIAN_KEYRING] $DEBIAN_MIRROR bookworm main
deb [arch=amd64,arm64 signed-by=$DEBIAN_KEYRING] $DEBIAN_MIRROR bookworm-updates main
deb [arch=amd64,arm64 signed-by=$DEBIAN_KEYRING] $DEBIAN_SECURITY_MIRROR bookworm-security main
SOURCES
  cat >"$dir/apt.conf" <<CONF
Dir "/";
Dir::State "$dir/state";
Dir::State::status "$dir/state/status";
Dir::Cache "$dir/cache";
Dir::Etc "$dir/etc";
Dir::Etc::SourceList "$dir/sources.list";
Dir::Etc::SourceParts "$dir/etc/sources.list.d";
Dir::Etc::Parts "$dir/etc/apt.conf.d";
Dir::Etc::PreferencesParts "$dir/etc/preferences.d";
Dir::Etc::TrustedParts "/usr/share/keyrings/none";
APT::Architecture "amd64";
APT::Architectures { "amd64"; "arm64"; };
APT::Install-Recommends "false";
Acquire::Languages "none";
Debug::NoLocking "true";
APT::Sandbox::User "root";
CONF
  export APT_CONFIG="$dir/apt.conf"
  APT_UPDATED="${APT_UPDATED:-}"
}

# apt_update: `apt-get update` in the private configuration, once per build.
apt_update() {
  [[ -n "$APT_UPDATED" ]] && return 0
  log "apt-get update (private APT_CONFIG, $CACHE/apt)"
  apt-get update -qq >&2 || return 1
  APT_UPDATED=1
}

# apt_candidate PACKAGE ARCH: the version apt would install (PACKAGE:ARCH, or PACKAGE when it is Arch: all).
apt_candidate() {
  local spec version
  for spec in "$1:$2" "$1"; do
    version="$(apt-cache policy "$spec" | awk '/Candidate:/ { print $2 }')"
    if [[ -n "$version" && "$version" != "(none)" ]]; then
      echo "$version"
      return 0
    fi
  done
}

# apt_download DIR PACKAGE ARCH VERSION: `apt-get download` into DIR (PACKAGE:ARCH, or PACKAGE for Arch: all).
apt_download() {
  (cd "$1" && { apt-get download -qq "$2:$3=$4" 2>/dev/null || apt-get download -qq "$2=$4"; } >&2)
}

# deb_fetch ARCH PACKAGE VERSION SHA256: prints the path of the cached .deb, downloading it when absent.
# Fails when the download's sha256 differs from the lock.
deb_fetch() {
  local arch="$1" pkg="$2" version="$3" sha="$4" cached="$CACHE/debs/$4.deb" tmp got
  if [[ -f "$cached" ]] && [[ "$(sha256sum "$cached" | cut -d' ' -f1)" == "$sha" ]]; then
    echo "$cached"
    return 0
  fi
  apt_update || return 1
  tmp="$(mktemp -d)"
  apt_download "$tmp" "$pkg" "$arch" "$version" || {
    rm -rf "$tmp"
    log "cannot download $pkg:$arch=$version (gone from the mirror? run with --update-lock)"
    return 1
  }
  got="$(sha256sum "$tmp"/*.deb | cut -d' ' -f1)"
  if [[ "$got" != "$sha" ]]; then
    rm -rf "$tmp"
    log "sha256 mismatch for $pkg:$arch=$version: lock $sha, downloaded $got"
    return 1
  fi
  mkdir -p "$CACHE/debs" && mv "$tmp"/*.deb "$cached" && rm -rf "$tmp"
  echo "$cached"
}

# lock_update: resolves the candidate version of every package for both architectures, downloads it and
# rewrites the Debian lines of the lock file (the npm lines are kept).
lock_update() {
  local arch pkg version tmp sha lines=()
  apt_update || return 1
  for arch in amd64 arm64; do
    for pkg in "${DEBIAN_PACKAGES[@]}"; do
      version="$(apt_candidate "$pkg" "$arch")"
      [[ -n "$version" ]] || { log "no candidate for $pkg:$arch"; return 1; }
      tmp="$(mktemp -d)"
      apt_download "$tmp" "$pkg" "$arch" "$version" || { rm -rf "$tmp"; return 1; }
      sha="$(sha256sum "$tmp"/*.deb | cut -d' ' -f1)"
      mkdir -p "$CACHE/debs" && mv "$tmp"/*.deb "$CACHE/debs/$sha.deb" && rm -rf "$tmp"
      lines+=("$arch deb $pkg $version $sha")
    done
  done
  lock_write "deb" "${lines[@]}"
}

# lock_write KIND LINE...: replaces the lock's lines of KIND (deb or npm) with LINEs, keeping the others.
lock_write() {
  local kind="$1" tmp
  shift
  tmp="$(mktemp)"
  {
    echo "# Pinned inputs of the Berth image: ARCH KIND NAME VERSION SHA256 (written by scripts/image/build.sh"
    echo "# --update-lock; every build verifies the sha256 of each file it uses against this list)."
    {
      if [[ -f "$LOCK" ]]; then awk -v k="$kind" '!/^#/ && NF && $2 != k' "$LOCK"; fi
      printf '%s\n' "$@"
    } | LC_ALL=C sort
  } >"$tmp"
  chmod 644 "$tmp" && mv "$tmp" "$LOCK"
}

# lock_lines ARCH KIND: the lock's lines for one architecture and kind.
lock_lines() {
  [[ -f "$LOCK" ]] || { log "no lock file $LOCK: run with --update-lock"; return 1; }
  awk -v a="$1" -v k="$2" '!/^#/ && $1 == a && $2 == k' "$LOCK"
}
