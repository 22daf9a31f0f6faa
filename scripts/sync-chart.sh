#!/usr/bin/env bash
# Copies the one source of the CRDs and the operator's RBAC rules into the Helm chart, which can only read files
# inside itself: deploy/crds/*.yaml -> charts/berth/crds/ (verbatim; Helm installs them before the templates),
# deploy/rbac/ (the roles and bindings, not the Namespace or ServiceAccount) -> charts/berth/files/rbac/ (the
# templates take each role's rules from there). test/integration/chart/chart-static.test.ts fails when a copy
# differs from its source, so run this (`npm run chart:sync`) after changing deploy/.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

CHART=charts/berth
rm -f "$CHART"/crds/*.yaml "$CHART"/files/rbac/*.yaml
mkdir -p "$CHART/crds" "$CHART/files/rbac"
cp deploy/crds/*.yaml "$CHART/crds/"
for f in deploy/rbac/*.yaml; do
  # 40-repository-roles.yaml holds roles for users and registry pods, not the operator: installed verbatim by
  # templates/repository-roles.yaml, never bound to the operator.
  [[ "$(basename "$f")" == 40-repository-roles.yaml ]] && { mkdir -p "$CHART/files/access"; cp "$f" "$CHART/files/access/"; continue; }
  grep -qE '^kind: (Cluster)?Role$' "$f" && cp "$f" "$CHART/files/rbac/"
done
echo "synced $(ls "$CHART/crds" | wc -l) CRDs and $(ls "$CHART/files/rbac" | wc -l) RBAC files into $CHART"
