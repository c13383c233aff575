#!/usr/bin/env bash
# Fails when the generated code under api/, the CRDs under config/crd and
# their copy in the Helm chart's crds/ are not what the pinned generators
# produce from the committed sources. Meant for CI on a clean checkout:
# locally, any uncommitted change there also fails it.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

hack/generate.sh

changes="$(git status --porcelain --untracked-files=all -- api config/crd deploy/helm/pomerium-console/crds)"
if [[ -n "${changes}" ]]; then
	echo "api/, config/crd or the chart's crds/ differ from the committed tree after hack/generate.sh; run 'make generate' and commit:" >&2
	echo "${changes}" >&2
	exit 1
fi
