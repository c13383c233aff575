#!/usr/bin/env bash
# Regenerates the Go code of the protobuf contracts in api/, and the
# deep-copy code and CRD manifests of the Kubernetes types (and the Helm
# chart's copy of the CRDs), with the generators pinned by go.mod and
# tools/go.mod, so that every machine produces byte-identical output.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

# Outputs of a renamed or deleted .proto would otherwise linger and still
# compile.
find api \( -name '*.pb.go' -o -name '*.connect.go' \) -delete

go tool -modfile=tools/go.mod buf generate

# Kubernetes API types: deep-copy methods and the CRD manifests.
rm -f api/v1alpha1/zz_generated.deepcopy.go config/crd/bases/*.yaml
go tool -modfile=tools/go.mod controller-gen object paths=./api/v1alpha1/... \
	crd:crdVersions=v1 paths=./api/v1alpha1/... output:crd:artifacts:config=config/crd/bases

# The Helm chart installs the same CRDs from its crds/ directory, which Helm
# reads only inside the chart: a copy, never edited by hand.
rm -f deploy/helm/pomerium-console/crds/*.yaml
cp config/crd/bases/*.yaml deploy/helm/pomerium-console/crds/
