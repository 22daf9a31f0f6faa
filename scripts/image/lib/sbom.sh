# shellcheck shell=bash
# The image's SBOM (CycloneDX 1.5 JSON: the Debian packages and Node tarballs of scripts/image/inputs.lock and
# the production npm packages) and the OCI referrer manifest that attaches it to the image index (`subject`,
# `artifactType`), so `oras discover` on the image lists it. Sourced by scripts/image/build.sh.

MT_SBOM=application/vnd.cyclonedx+json
MT_EMPTY=application/vnd.oci.empty.v1+json

# sbom_inputs: one JSON component a line for every locked input (.deb or Node tarball), both architectures.
sbom_inputs() {
  local arch kind name version sha debarch
  while read -r arch kind name version sha; do
    if [[ "$kind" == deb ]]; then
      debarch="$(dpkg-deb -f "$CACHE/debs/$sha.deb" Architecture)"
      jq -cn --arg n "$name" --arg v "$version" --arg a "$debarch" --arg h "$sha" '{type: "library", name: $n,
        version: $v, purl: "pkg:deb/debian/\($n)@\($v | @uri)?arch=\($a)&distro=debian-12",
        hashes: [{alg: "SHA-256", content: $h}]}'
    else
      jq -cn --arg n "$name" --arg v "$version" --arg h "$sha" '{type: "application", name: $n, version: $v,
        purl: "pkg:npm/\($n)@\($v)", hashes: [{alg: "SHA-256", content: $h}]}'
    fi
  done < <(grep -v '^#' "$LOCK")
}

# sbom_npm MODULES_DIR: one JSON component a line for every package in node_modules/.package-lock.json.
sbom_npm() {
  jq -c '.packages | to_entries[] | select(.key | startswith("node_modules/")) |
    (.key | sub(".*node_modules/"; "")) as $name |
    {type: "library", name: $name, version: .value.version,
     purl: "pkg:npm/\(if $name | startswith("@") then "%40" + $name[1:] else $name end)@\(.value.version)"}
    + (if .value.license then {licenses: [{expression: .value.license}]} else {} end)' \
    "$1/node_modules/.package-lock.json"
}

# sbom_document MODULES_DIR: the CycloneDX document (components sorted by purl, dated SOURCE_DATE_EPOCH).
sbom_document() {
  { sbom_inputs && sbom_npm "$1"; } | jq -cs --arg version "$VERSION" --arg license "$LICENSE" \
    --arg created "$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%dT%H:%M:%SZ)" '{
      bomFormat: "CycloneDX", specVersion: "1.5", version: 1,
      metadata: {timestamp: $created, tools: {components: [{type: "application", name: "scripts/image/build.sh"}]},
        component: {type: "container", name: "berth", version: $version, licenses: [{expression: $license}]}},
      components: (unique_by(.purl) | sort_by(.purl))
    }'
}

# sbom_referrer BLOBS SUBJECT_DESCRIPTOR MODULES_DIR: writes the SBOM and its referrer manifest into BLOBS;
# prints the manifest's descriptor (with artifactType).
sbom_referrer() {
  local blobs="$1" subject="$2" sbom empty manifest
  sbom="$(mktemp)"
  sbom_document "$3" >"$sbom" || return 1
  sbom="$(descriptor "$MT_SBOM" "$(blob_put "$blobs" "$sbom")")"
  empty="$(mktemp)"
  printf '{}' >"$empty"
  empty="$(descriptor "$MT_EMPTY" "$(blob_put "$blobs" "$empty")")"
  manifest="$(mktemp)"
  jq -cn --arg mt "$MT_MANIFEST" --arg at "$MT_SBOM" --argjson config "$empty" --argjson sbom "$sbom" \
    --argjson subject "$subject" --arg created "$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%dT%H:%M:%SZ)" \
    '{schemaVersion: 2, mediaType: $mt, artifactType: $at, config: $config,
      layers: [$sbom + {annotations: {"org.opencontainers.image.title": "sbom.cdx.json"}}],
      subject: ($subject | {mediaType, digest, size}),
      annotations: {"org.opencontainers.image.created": $created}}' >"$manifest"
  jq -c --arg at "$MT_SBOM" '. + {artifactType: $at}' <<<"$(descriptor "$MT_MANIFEST" "$(blob_put "$blobs" "$manifest")")"
}
