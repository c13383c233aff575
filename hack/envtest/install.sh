#!/usr/bin/env bash
# Builds the binaries that controller-runtime's envtest runs (hack/kubetest):
# kube-apiserver, kubectl and etcd, into bin/envtest/k8s-VERSION/, the
# directory to use as KUBEBUILDER_ASSETS.
#
# setup-envtest cannot download its prebuilt archives on our machines and
# Debian ships no kube-apiserver, so they are built from the Go module proxy.
# The versions come from the go.mod files beside this script, which have
# committed go.sum files, so every machine builds the same code:
#   kubernetes/go.mod  k8s.io/kubernetes (kube-apiserver, kubectl), with its
#                      staging modules replaced by their published releases
#   etcd/go.mod        go.etcd.io/etcd/server/v3 (etcd)
#
# Safe to run repeatedly: when the three binaries are present and report the
# expected versions it does nothing. A cold build takes about five minutes on
# two cores. Binaries are built into a staging directory that is renamed into
# place only when all three work, so an interrupted build never leaves a
# broken cache behind.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "${here}/../.." && pwd)"

# module_version prints the version that a go.mod requires of a module.
module_version() {
	local version
	version="$(awk -v m="$2" '$1 == m { print $2 }' "$1")"
	if [[ -z "${version}" ]]; then
		echo "envtest: $1 does not require $2" >&2
		exit 1
	fi
	echo "${version}"
}

k8s_version="$(module_version "${here}/kubernetes/go.mod" k8s.io/kubernetes)" # v1.37.2
etcd_version="$(module_version "${here}/etcd/go.mod" go.etcd.io/etcd/server/v3)" # v3.6.16
assets="${root}/bin/envtest/k8s-${k8s_version#v}"

# first_line_of_version prints the line in which binary $1 in directory $2
# names its version, or nothing if it does not run.
first_line_of_version() {
	local out
	[[ -x "$2/$1" ]] || return 0
	case "$1" in
	kubectl) out="$("$2/$1" version --client 2>/dev/null)" || return 0 ;;
	*) out="$("$2/$1" --version 2>/dev/null)" || return 0 ;;
	esac
	echo "${out%%$'\n'*}"
}

# expected_version prints what first_line_of_version should print for $1.
expected_version() {
	case "$1" in
	kube-apiserver) echo "Kubernetes ${k8s_version}" ;;
	kubectl) echo "Client Version: ${k8s_version}" ;;
	etcd) echo "etcd Version: ${etcd_version#v}" ;;
	esac
}

has_version() {
	[[ "$(first_line_of_version "$1" "$2")" == "$(expected_version "$1")" ]]
}

complete() {
	has_version kube-apiserver "$1" && has_version kubectl "$1" && has_version etcd "$1"
}

done_message() {
	echo "envtest: $1 kube-apiserver and kubectl ${k8s_version}, etcd ${etcd_version} in ${assets}"
	echo "envtest: export KUBEBUILDER_ASSETS=${assets} to use them outside hack/kubetest"
}

if complete "${assets}"; then
	done_message found
	exit 0
fi

mkdir -p "${root}/bin/envtest"
# Two builds at once (parallel make, two checkouts' CI) would each take
# minutes; the second waits and then finds the first one's result.
exec 9>"${root}/bin/envtest/.lock"
flock 9
if complete "${assets}"; then
	done_message found
	exit 0
fi

# Under the lock no other build runs, so staging directories are leftovers of
# builds killed too hard to clean up after themselves.
rm -rf "${root}/bin/envtest/"*.tmp-*
staging="$(mktemp -d "${assets}.tmp-XXXXXX")"
trap 'rm -rf "${staging}"' EXIT

start=${SECONDS}
# A binary of the right version already in place is kept, so that a cache
# missing only etcd does not rebuild kube-apiserver from a cold build cache.
for bin in kube-apiserver kubectl etcd; do
	if has_version "${bin}" "${assets}"; then
		cp -p "${assets}/${bin}" "${staging}/${bin}"
	fi
done

# Static binaries as the Kubernetes release builds them; GOWORK=off keeps a
# go.work of the developer's from changing what the nested modules resolve.
export CGO_ENABLED=0 GOWORK=off

if ! has_version kube-apiserver "${staging}" || ! has_version kubectl "${staging}"; then
	echo "envtest: building kube-apiserver and kubectl ${k8s_version} (about 5 minutes on a cold build cache)"
	# kubectl warns about version skew from gitMajor/gitMinor and the API
	# server reports them at /version, so they are set with gitVersion.
	major="${k8s_version#v}"
	major="${major%%.*}"
	minor="${k8s_version#v*.}"
	minor="${minor%%.*}"
	pkg=k8s.io/component-base/version
	ldflags="-s -w -X ${pkg}.gitVersion=${k8s_version} -X ${pkg}.gitMajor=${major} -X ${pkg}.gitMinor=${minor} -X ${pkg}.gitTreeState=clean"
	go -C "${here}/kubernetes" build -trimpath -ldflags "${ldflags}" -o "${staging}/" \
		k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kubectl
fi

if ! has_version etcd "${staging}"; then
	echo "envtest: building etcd ${etcd_version}"
	go -C "${here}/etcd" build -trimpath -ldflags "-s -w" -o "${staging}/etcd" go.etcd.io/etcd/server/v3
fi

for bin in kube-apiserver kubectl etcd; do
	if ! has_version "${bin}" "${staging}"; then
		echo "envtest: the ${bin} just built reports \"$(first_line_of_version "${bin}" "${staging}")\", want \"$(expected_version "${bin}")\"" >&2
		exit 1
	fi
done

chmod 0755 "${staging}"
rm -rf "${assets}"
mv "${staging}" "${assets}"
done_message "built in $((SECONDS - start))s:"
