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

# build <name> <version> <module> <main package> [go.mod-additions generator] [ldflags]
# A throw-away module requires the pinned version, so the component's dependencies resolve exactly as its
# own go.mod pins them (Go's minimal version selection), without its replace directives. The generator appends
# replace/require lines to that module before resolution (staging modules, pins a component needs to compile).
build() {
  local name=$1 version=$2 module=$3 pkg=$4 replaces=${5:-} ldflags=${6:-}
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
    run "$log" go build -ldflags "$ldflags" -o "$out.partial" "$pkg"
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

# The version stamp every Kubernetes binary reports (without it: v0.0.0-master+$Format:%H$).
kube_ldflags() {
  local version=$1 minor=${1#v1.}; minor=${minor%%.*}
  local f
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    f+=" -X $pkg.gitVersion=$version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
  done
  echo "$f"
}
provisioner_pins() { echo "require sigs.k8s.io/gateway-api $GATEWAY_API_VERSION"; }
snapshotter_pins() { echo "require github.com/kubernetes-csi/external-snapshotter/client/v8 $EXTERNAL_SNAPSHOTTER_VERSION"; }

# sources_key <files...>: a content hash naming a build of the project's own sources (changes rebuild it).
sources_key() { cat "$@" | sha256sum | cut -c1-12; }

# The project's own Go programs for the real node: its CSI driver and the sandbox (pause) program.
own_key() { local dir="$here/go"; sources_key "$dir/go.mod" "$dir/go.sum" $(find "$dir/$1" -name '*.go' | sort); }
own_go() {
  local name=$1 dir="$here/go"
  local key out log
  key=$(own_key "$name")
  out="$bin/$name-$key" log="$logs/$name-$key.log"
  if [[ -x "$out" ]]; then say "$name $key: cached ($out)"; return; fi
  say "$name $key: building testenv/go/$name (log: $log)"
  local t0=$SECONDS
  : >"$log"
  (cd "$dir" && run "$log" go build -ldflags "-X main.version=$key" -o "$out.partial" "./$name") || exit 1
  mv "$out.partial" "$out"
  say "$name $key: built in $((SECONDS - t0))s"
}

# cert-manager's controllers and CA injector (the chart's cert-manager mode), as the project's own small program
# (testenv/cert-manager/main.go) on the cert-manager module: the upstream commands are modules of their own that the Go
# proxy does not serve. Keyed by the pinned version and the program's sources; the module's CRDs are copied beside it.
cert_manager_key() {
  local dir="$here/cert-manager"
  echo "$CERT_MANAGER_VERSION-$(sources_key "$dir/go.mod" "$dir/go.sum" "$dir/main.go")"
}
cert_manager() {
  local dir="$here/cert-manager" key; key=$(cert_manager_key)
  local out="$bin/cert-manager-$key" crds="$cache/crds/cert-manager-$CERT_MANAGER_VERSION" log="$logs/cert-manager-$key.log"
  if [[ -x "$out" && -d "$crds" ]]; then say "cert-manager $key: cached ($out)"; return; fi
  grep -qE "^\s*(require )?github.com/cert-manager/cert-manager $CERT_MANAGER_VERSION\$" "$dir/go.mod" ||
    { say "testenv/cert-manager/go.mod does not require cert-manager $CERT_MANAGER_VERSION (versions.env): update one of them (go get + go mod tidy there)"; exit 1; }
  say "cert-manager $key: building testenv/cert-manager (first time only; log: $log)"
  local t0=$SECONDS
  : >"$log"
  (cd "$dir" && run "$log" go build -ldflags "-X main.version=$CERT_MANAGER_VERSION" -o "$out.partial" .) || exit 1
  local moddir
  moddir=$(cd "$dir" && go list -m -f '{{.Dir}}' github.com/cert-manager/cert-manager)
  [[ -d $moddir/deploy/crds ]] || { say "the cert-manager module at $moddir has no deploy/crds: where does $CERT_MANAGER_VERSION keep its CRDs?"; exit 1; }
  rm -rf "$crds.partial" && mkdir -p "$crds.partial"
  cp "$moddir"/deploy/crds/*.yaml "$crds.partial/" && chmod u+w "$crds.partial"/*.yaml
  rm -rf "$crds" && mv "$crds.partial" "$crds"
  mv "$out.partial" "$out"
  say "cert-manager $key: built in $((SECONDS - t0))s ($(du -h "$out" | cut -f1))"
}

volsync_src() { echo "${LIFEBOAT_VOLSYNC_SRC:-$here/../../shared/volsync}"; }

# The VolSync controller from the source tarball beside the repository (the module is not on the Go proxy).
volsync() {
  local version=$VOLSYNC_COMMIT out="$bin/volsync-${VOLSYNC_COMMIT:0:12}" log="$logs/volsync-${VOLSYNC_COMMIT:0:12}.log"
  if [[ -x "$out" ]]; then say "volsync ${version:0:12}: cached ($out)"; return; fi
  local srcdir tgz commit
  srcdir=$(volsync_src); tgz="$srcdir/volsync-src.tgz"
  [[ -f "$tgz" ]] || { say "VolSync source not found at $tgz: set LIFEBOAT_VOLSYNC_SRC to the folder holding volsync-src.tgz and COMMIT"; exit 1; }
  commit=$(cut -d' ' -f1 "$srcdir/COMMIT")
  [[ $commit == "$VOLSYNC_COMMIT" ]] || { say "$srcdir holds VolSync $commit, versions.env pins $VOLSYNC_COMMIT: update one of them"; exit 1; }
  local src="$cache/src/volsync-${version:0:12}"
  say "volsync ${version:0:12}: building from $tgz (first time only; log: $log)"
  local t0=$SECONDS
  rm -rf "$src" && mkdir -p "$src" && : >"$log"
  tar xzf "$tgz" -C "$src"
  (cd "$src" && run "$log" go build -ldflags "-X main.volsyncVersion=${version:0:12}" -o "$out.partial" ./cmd/) || exit 1
  mv "$out.partial" "$out"
  say "volsync ${version:0:12}: built in $((SECONDS - t0))s"
}

# Images are docker-archive tars made from local files (no registry is reachable), loaded with `ctr images import`.
# image_tar <out.tar> <ref> <rootfs dir> <config json>
image_tar() {
  local out=$1 ref=$2 rootfs=$3 config=$4 work
  work=$(mktemp -d)
  tar -C "$rootfs" --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -cf "$work/layer.tar" .
  local diff; diff=$(sha256sum "$work/layer.tar" | cut -d' ' -f1)
  jq -c --arg d "sha256:$diff" '{architecture:"amd64",os:"linux",config:.,rootfs:{type:"layers",diff_ids:[$d]}}' \
    <<<"$config" >"$work/config.json"
  jq -nc --arg r "$ref" '[{Config:"config.json",RepoTags:[$r],Layers:["layer.tar"]}]' >"$work/manifest.json"
  tar -C "$work" -cf "$out.partial" manifest.json config.json layer.tar
  rm -rf "$work"
  mv "$out.partial" "$out"
}

# copy_with_libs <rootfs> <binary...>: each program at its own path, plus the shared libraries ldd names.
copy_with_libs() {
  local root=$1; shift
  local f lib
  for f in "$@"; do
    mkdir -p "$root$(dirname "$f")" && cp -L "$f" "$root$f"
    for lib in $(ldd "$f" 2>/dev/null | grep -oE '/[^ ]+'); do
      [[ -e $root$lib ]] || { mkdir -p "$root$(dirname "$lib")" && cp -L "$lib" "$root$lib"; }
    done
  done
}

# The mover image: VolSync's own entry scripts for kopia and restic, run by the host's bash with jq, coreutils and
# the few other tools the scripts call. Its key covers the movers' versions, the scripts and the host packages.
MOVER_PACKAGES=(bash coreutils jq grep sed findutils mawk hostname)
mover_image_key() {
  # The part of this script that makes it (image_tar, copy_with_libs, this function): editing another component's
  # steps does not rebuild the mover image.
  { echo "$KOPIA_VERSION $RESTIC_VERSION $VOLSYNC_COMMIT"; dpkg-query -W "${MOVER_PACKAGES[@]}"
    sed -n '/^# Images are docker-archive tars/,/^# The sandbox image/p' "${BASH_SOURCE[0]}"; } |
    sha256sum | cut -c1-12
}
mover_image() {
  local key; key=$(mover_image_key)
  local out="$cache/images/volsync-mover-$key.tar"
  if [[ -f "$out" ]]; then say "volsync-mover image $key: cached ($out)"; return; fi
  say "volsync-mover image $key: assembling from host files"
  local t0=$SECONDS root; root=$(mktemp -d)
  mkdir -p "$cache/images" "$root/tmp" "$root/etc" "$root/usr/local/bin"
  chmod 1777 "$root/tmp"
  local progs=() p
  for p in "${MOVER_PACKAGES[@]}"; do
    while read -r f; do [[ -f $f && -x $f && ! -L $f ]] && progs+=("$f"); done < <(dpkg -L "$p" | grep -E '^/(usr/)?s?bin/')
  done
  copy_with_libs "$root" "${progs[@]}" "$bin/kopia-$KOPIA_VERSION" "$bin/restic-$RESTIC_VERSION"
  mv "$root$bin/kopia-$KOPIA_VERSION" "$root/usr/local/bin/kopia"
  mv "$root$bin/restic-$RESTIC_VERSION" "$root/usr/local/bin/restic"
  rm -rf "${root:?}/root"
  ln -sf mawk "$root/usr/bin/awk"
  [[ -e $root/bin/sh ]] || ln -sf bash "$root/bin/sh"
  tar xzf "$(volsync_src)/volsync-src.tgz" -C "$root" ./mover-kopia ./mover-restic 2>/dev/null ||
    tar xzf "$(volsync_src)/volsync-src.tgz" -C "$root" mover-kopia mover-restic
  printf 'root:x:0:0::/root:/bin/bash\nmover:x:65532:65532::/tmp:/bin/bash\n' >"$root/etc/passwd"
  printf 'root:x:0:\nmover:x:65532:\n' >"$root/etc/group"
  image_tar "$out" "lifeboat.test/volsync-mover:$key" "$root" \
    '{"Env":["PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin","HOME=/tmp"],"User":"65532:65532","WorkingDir":"/tmp"}'
  rm -rf "$root"
  say "volsync-mover image $key: built in $((SECONDS - t0))s ($(du -h "$out" | cut -f1))"
}

# The sandbox image every Pod starts with: the project's own pause program, alone.
pause_image() {
  own_go pause
  local key; key=$(own_key pause)
  local prog="$bin/pause-$key"
  local out="$cache/images/pause-$key.tar"
  if [[ -f "$out" ]]; then say "pause image $key: cached ($out)"; return; fi
  local root; root=$(mktemp -d)
  mkdir -p "$cache/images"
  cp "$prog" "$root/pause"
  image_tar "$out" "lifeboat.test/pause:$key" "$root" '{"Entrypoint":["/pause"],"User":"65535:65535"}'
  rm -rf "$root"
  say "pause image $key: built"
}

# lifeboat's own image, as close to the Dockerfile as a machine without a registry or a Docker engine gets: the same
# /app (dist/ bundled by `npm run build`'s command, the production packages of package-lock.json, package.json) and
# the same ENTRYPOINT, CMD, USER, WORKDIR, ENV and EXPOSE, read from the Dockerfile's last stage. What differs: the
# base is not node:24-bookworm-slim but this machine's `node` binary at /usr/local/bin/node with the shared libraries
# it links (no shell, no npm, no Debian userland in the image); the production packages are copied from the
# checkout's node_modules (installed from the same lockfile) rather than installed by `npm ci --omit=dev`; and it is
# one layer. Keyed by everything that goes into it, so a change to the sources builds a new image.
LIFEBOAT_IMAGE_INPUTS=(Dockerfile package.json package-lock.json tsconfig.json scripts/build.ts scripts/bundle.ts)
lifeboat_image_key() {
  local repo; repo=$(cd "$here/.." && pwd)
  { node --version; readlink -f "$(command -v node)"; sha256sum "$(readlink -f "$(command -v node)")"
    (cd "$repo" && sha256sum "${LIFEBOAT_IMAGE_INPUTS[@]}" $(find src -name '*.ts' ! -name '*.test.ts' | sort))
    sed -n '/^# lifeboat.s own image/,/^# name=path/p' "${BASH_SOURCE[0]}"; } | sha256sum | cut -c1-12
}
lifeboat_image() {
  local key; key=$(lifeboat_image_key)
  local out="$cache/images/lifeboat-$key.tar" repo; repo=$(cd "$here/.." && pwd)
  if [[ -f "$out" ]]; then say "lifeboat image $key: cached ($out)"; return; fi
  say "lifeboat image $key: compiling and assembling from $repo"
  local t0=$SECONDS root; root=$(mktemp -d)
  mkdir -p "$cache/images" "$root/tmp" "$root/etc" "$root/app/node_modules" "$root/usr/local/bin"
  chmod 1777 "$root/tmp"
  local build; build=$(node -p "require('$repo/package.json').scripts.build")
  [[ $build == "node scripts/build.ts" ]] || { say "package.json's build script is '$build'; lifeboat_image knows how to run 'node scripts/build.ts'"; exit 1; }
  (cd "$repo" && $build --out-dir "$root/app/dist") || { rm -rf "$root"; exit 1; }
  cp "$repo/package.json" "$root/app/"
  local pkg
  while read -r pkg; do
    [[ -e $root/app/$pkg ]] && continue # inside a package copied already
    [[ -d $repo/$pkg ]] || { say "$pkg (a production package in package-lock.json) is not installed: run npm ci"; rm -rf "$root"; exit 1; }
    mkdir -p "$root/app/$(dirname "$pkg")" && cp -rL "$repo/$pkg" "$root/app/$pkg"
  done < <(jq -r '.packages | to_entries[] | select(.key != "" and (.value.dev | not)) | .key' "$repo/package-lock.json" | sort)
  copy_with_libs "$root" "$(readlink -f "$(command -v node)")"
  mv "$root$(readlink -f "$(command -v node)")" "$root/usr/local/bin/node"
  rm -rf "${root:?}/root"
  printf 'root:x:0:0::/root:/sbin/nologin\nnonroot:x:65532:65532::/nonexistent:/sbin/nologin\n' >"$root/etc/passwd"
  printf 'root:x:0:\nnonroot:x:65532:\n' >"$root/etc/group"
  local config
  config=$(node -e '
    const lines = require("fs").readFileSync(process.argv[1], "utf8").replace(/\\\n/g, " ").split("\n");
    const last = lines.map((l) => l.trim()).filter((l) => l && !l.startsWith("#"));
    const stage = last.slice(last.findLastIndex((l) => /^FROM /i.test(l)) + 1);
    const c = { Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], ExposedPorts: {} };
    for (const l of stage) {
      const [, op, rest] = /^(\w+)\s+(.*)$/.exec(l);
      switch (op.toUpperCase()) {
        case "WORKDIR": c.WorkingDir = rest; break;
        case "USER": c.User = rest; break;
        case "ENV": c.Env.push(rest.includes("=") ? rest : rest.replace(/\s+/, "=")); break;
        case "EXPOSE": for (const p of rest.split(/\s+/)) c.ExposedPorts[p.includes("/") ? p : `${p}/tcp`] = {}; break;
        case "ENTRYPOINT": c.Entrypoint = JSON.parse(rest); break;
        case "CMD": c.Cmd = JSON.parse(rest); break;
        case "COPY": case "ARG": case "LABEL": break;
        default: throw new Error(`the Dockerfile'"'"'s last stage has ${op}, which lifeboat_image does not reproduce`);
      }
    }
    console.log(JSON.stringify(c));' "$repo/Dockerfile")
  image_tar "$out" "lifeboat.test/lifeboat:$key" "$root" "$config"
  rm -rf "$root"
  say "lifeboat image $key: built in $((SECONDS - t0))s ($(du -h "$out" | cut -f1))"
}

# name=path of every component (the harness reads these through --locate, which builds nothing).
locate() {
  local n
  for n in etcd:$ETCD_VERSION kube-apiserver:$KUBERNETES_VERSION restic:$RESTIC_VERSION kopia:$KOPIA_VERSION \
    minio:$MINIO_VERSION helm:$HELM_VERSION promtool:$PROMTOOL_VERSION kubelet:$KUBERNETES_VERSION kube-controller-manager:$KUBERNETES_VERSION \
    kube-scheduler:$KUBERNETES_VERSION kube-proxy:$KUBERNETES_VERSION csi-provisioner:$EXTERNAL_PROVISIONER_VERSION \
    csi-snapshotter:$EXTERNAL_SNAPSHOTTER_VERSION snapshot-controller:$EXTERNAL_SNAPSHOTTER_VERSION \
    volsync:${VOLSYNC_COMMIT:0:12}; do
    echo "${n%%:*}=$bin/${n%%:*}-${n#*:}"
  done
  local key
  for n in csi-driver pause; do
    key=$(own_key "$n")
    echo "$n=$bin/$n-$key"
  done
  echo "pause-image=$cache/images/pause-$key.tar"
  echo "pause-image-ref=lifeboat.test/pause:$key"
  key=$(mover_image_key)
  echo "mover-image=$cache/images/volsync-mover-$key.tar"
  echo "mover-image-ref=lifeboat.test/volsync-mover:$key"
  key=$(cert_manager_key)
  echo "cert-manager=$bin/cert-manager-$key"
  echo "cert-manager-crds=$cache/crds/cert-manager-$CERT_MANAGER_VERSION"
  key=$(lifeboat_image_key)
  echo "lifeboat-image=$cache/images/lifeboat-$key.tar"
  echo "lifeboat-image-ref=lifeboat.test/lifeboat:$key"
}

node_components=(kubelet kube-controller-manager kube-scheduler kube-proxy csi-provisioner csi-snapshotter
  snapshot-controller csi-driver volsync cert-manager mover-image pause-image lifeboat-image)
print=false
locate_only=false
only=()
for arg in "$@"; do
  case "$arg" in
    --print) print=true ;;
    --locate) locate_only=true ;;
    etcd|kube-apiserver|restic|kopia|minio|helm|promtool) only+=("$arg") ;;
    packages|real-node) only+=("$arg") ;;
    *)
      if [[ " ${node_components[*]} " == *" $arg "* ]]; then only+=("$arg"); continue; fi
      say "unknown argument '$arg': use --print and/or component names (etcd kube-apiserver restic kopia minio helm promtool, packages, real-node = ${node_components[*]})"; exit 2 ;;
  esac
done
if $locate_only; then locate; exit 0; fi
wanted() {
  [[ ${#only[@]} -eq 0 ]] || [[ " ${only[*]} " == *" $1 "* ]] ||
    { [[ " ${only[*]} " == *" real-node "* ]] && [[ " ${node_components[*]} " == *" $1 "* ]]; }
}

wanted etcd && build etcd "$ETCD_VERSION" go.etcd.io/etcd/server/v3 go.etcd.io/etcd/server/v3
wanted kube-apiserver && build kube-apiserver "$KUBERNETES_VERSION" k8s.io/kubernetes k8s.io/kubernetes/cmd/kube-apiserver kube_replaces
wanted restic && build restic "$RESTIC_VERSION" github.com/restic/restic github.com/restic/restic/cmd/restic
wanted kopia && build kopia "$KOPIA_VERSION" github.com/kopia/kopia github.com/kopia/kopia
wanted minio && build minio "$MINIO_VERSION" github.com/minio/minio github.com/minio/minio
wanted helm && build helm "$HELM_VERSION" helm.sh/helm/v3 helm.sh/helm/v3/cmd/helm
# Prometheus's own rule engine (`promtool test rules`) evaluates the chart's alerting rules.
wanted promtool && build promtool "$PROMTOOL_VERSION" github.com/prometheus/prometheus github.com/prometheus/prometheus/cmd/promtool

# The real node (test/support/realnode.ts): Debian packages, Kubernetes node components, CSI, VolSync, images.
wanted packages && bash "$here/packages.sh"
kube=k8s.io/kubernetes
for c in kubelet kube-controller-manager kube-scheduler kube-proxy; do
  wanted $c && build $c "$KUBERNETES_VERSION" $kube $kube/cmd/$c kube_replaces "$(kube_ldflags "$KUBERNETES_VERSION")"
done
wanted csi-provisioner && build csi-provisioner "$EXTERNAL_PROVISIONER_VERSION" \
  github.com/kubernetes-csi/external-provisioner/v5 github.com/kubernetes-csi/external-provisioner/v5/cmd/csi-provisioner \
  provisioner_pins "-X main.version=$EXTERNAL_PROVISIONER_VERSION"
for c in csi-snapshotter snapshot-controller; do
  wanted $c && build $c "$EXTERNAL_SNAPSHOTTER_VERSION" github.com/kubernetes-csi/external-snapshotter/v8 \
    github.com/kubernetes-csi/external-snapshotter/v8/cmd/$c snapshotter_pins "-X main.version=$EXTERNAL_SNAPSHOTTER_VERSION"
done
wanted csi-driver && own_go csi-driver
wanted volsync && volsync
wanted cert-manager && cert_manager
wanted pause-image && pause_image
if wanted mover-image; then
  for c in kopia restic; do [[ -x "$bin/$c-$(eval echo "\$${c^^}_VERSION")" ]] || build_missing=$c; done
  [[ -z ${build_missing:-} ]] || { say "mover-image needs kopia and restic: bash testenv/build.sh kopia restic"; exit 1; }
  mover_image
fi
wanted lifeboat-image && lifeboat_image

if $print; then locate; fi
say "all components ready in $bin"
