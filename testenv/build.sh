#!/usr/bin/env bash
# Builds the real components the tests run against from Go modules, with the machine's Go toolchain,
# and caches each binary outside the repository keyed by its version. A warm run only checks files exist.
#
#   bash testenv/build.sh            build whatever is missing
#   bash testenv/build.sh --print    print "name=path" for every component (after building)
#   bash testenv/build.sh kopia restic   build only the named components
#
# Environment: LIFEBOAT_TESTENV_CACHE (default ~/.cache/lifeboat-testenv), GOFLAGS/GOPROXY as usual.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.env
source "$here/versions.env"
cache=${LIFEBOAT_TESTENV_CACHE:-$HOME/.cache/lifeboat-testenv}
bin="$cache/bin"
logs="$cache/logs"
mkdir -p "$bin" "$logs" "$cache/src"
export GOFLAGS="${GOFLAGS:--buildvcs=false} -trimpath"
export CGO_ENABLED=0

say() { printf '[testenv] %s\n' "$*" >&2; }
command -v go >/dev/null || { say "Go toolchain not found on PATH: install Go >= 1.24 (https://go.dev/dl) and retry."; exit 1; }

# run <log> <cmd...>: runs a build step with its output in a log file, printing a heartbeat so a long
# cold build is visibly alive; on failure prints the command, the log tail and how to retry.
run() {
  local log=$1; shift
  local start=$SECONDS rc=0
  ( while sleep 20; do say "  ... still working ($((SECONDS - start))s): $(tail -n 1 "$log" | cut -c1-110)"; done ) &
  local heartbeat=$!
  "$@" >>"$log" 2>&1 || rc=$?
  kill "$heartbeat" 2>/dev/null; wait "$heartbeat" 2>/dev/null || true
  if [[ $rc -ne 0 ]]; then
    say "FAILED (exit $rc): $*"
    say "  in: $PWD"
    say "  log: $log (last lines below)"
    tail -n 30 "$log" >&2
    say "  retry: bash testenv/build.sh   (a failed step leaves no binary behind, so a retry starts that component again)"
    exit 1
  fi
}

# build <name> <version> <module> <main package> [replace-generator]
# A throw-away module requires the pinned version, so the component's dependencies resolve exactly as its
# own go.mod pins them (Go's minimal version selection), without its replace directives.
build() {
  local name=$1 version=$2 module=$3 pkg=$4 replaces=${5:-}
  local out="$bin/$name-$version"
  if [[ -x "$out" ]]; then say "$name $version: cached ($out)"; return; fi
  local src="$cache/src/$name-$version" log="$logs/$name-$version.log"
  say "$name $version: building from $module (first time only; log: $log)"
  local t0=$SECONDS
  rm -rf "$src" && mkdir -p "$src" && : >"$log"
  (
    cd "$src"
    run "$log" go mod init "lifeboat.testenv/$name"
    if [[ -n "$replaces" ]]; then "$replaces" "$version" >>go.mod; fi
    # go get of the package (not only the module) records every go.sum entry the build needs.
    run "$log" go get "$pkg@$version"
    run "$log" go build -o "$out.partial" "$pkg"
  ) || exit 1
  mv "$out.partial" "$out"
  say "$name $version: built in $((SECONDS - t0))s"
}

# k8s.io/kubernetes refers to its staging modules (k8s.io/api, k8s.io/apiserver, ...) as ./staging/...;
# as a dependency each must be replaced by its published v0.x version with the same minor and patch.
kube_replaces() {
  local version=$1 gomod
  gomod=$(go mod download -json "k8s.io/kubernetes@$version" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
  [[ -f "$gomod" ]] || { say "could not download the go.mod of k8s.io/kubernetes@$version"; exit 1; }
  local staging="v0.${version#v1.}"
  echo "replace ("
  grep -oE '^\s*k8s\.io/[a-z0-9-]+ => \./staging' "$gomod" | awk -v v="$staging" '{print "\t" $1 " => " $1 " " v}'
  echo ")"
}

print=false
only=()
for arg in "$@"; do
  case "$arg" in
    --print) print=true ;;
    etcd|kube-apiserver|restic|kopia|minio|helm) only+=("$arg") ;;
    *) say "unknown argument '$arg': use --print and/or component names (etcd kube-apiserver restic kopia minio helm)"; exit 2 ;;
  esac
done
wanted() { [[ ${#only[@]} -eq 0 ]] || [[ " ${only[*]} " == *" $1 "* ]]; }

wanted etcd && build etcd "$ETCD_VERSION" go.etcd.io/etcd/server/v3 go.etcd.io/etcd/server/v3
wanted kube-apiserver && build kube-apiserver "$KUBERNETES_VERSION" k8s.io/kubernetes k8s.io/kubernetes/cmd/kube-apiserver kube_replaces
wanted restic && build restic "$RESTIC_VERSION" github.com/restic/restic github.com/restic/restic/cmd/restic
wanted kopia && build kopia "$KOPIA_VERSION" github.com/kopia/kopia github.com/kopia/kopia
wanted minio && build minio "$MINIO_VERSION" github.com/minio/minio github.com/minio/minio
wanted helm && build helm "$HELM_VERSION" helm.sh/helm/v3 helm.sh/helm/v3/cmd/helm

if $print; then
  for n in etcd:$ETCD_VERSION kube-apiserver:$KUBERNETES_VERSION restic:$RESTIC_VERSION kopia:$KOPIA_VERSION minio:$MINIO_VERSION helm:$HELM_VERSION; do
    echo "${n%%:*}=$bin/${n%%:*}-${n#*:}"
  done
fi
say "all components ready in $bin"
