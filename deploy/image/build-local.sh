#!/usr/bin/env bash
# Builds lifeboat's container image from the Dockerfile without a Docker engine or a registry, and runs it.
#
#   sudo deploy/image/build-local.sh              # as root: buildah (chroot isolation, vfs storage) and runc
#
# Where no registry is reachable, the pinned base (node:24-bookworm-slim@sha256:…) cannot be pulled, so the script
# makes a stand-in base locally from this machine: the `node` binary on PATH (Node 24) with the shared libraries it
# links, npm, /bin/sh, /usr/bin/env and the CA bundle (the build's `npm ci` needs the npm registry and this machine's
# trust store). It then builds the Dockerfile unchanged with --build-arg NODE_IMAGE=<that base>, unpacks the result
# and runs the image's ENTRYPOINT as the image's USER on a read-only root with runc: `--version` must print
# package.json's version and `--help` the command list. Everything lives in a scratch directory that is removed at
# the end (KEEP=1 keeps it, with the image in its buildah storage).
#
# Needs: Debian's buildah and runc (apt-get install buildah runc), root, the npm registry.
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d /tmp/lifeboat-image.XXXXXX)
storage=(--root "$work/storage" --runroot "$work/run" --storage-driver vfs)
base=localhost/lifeboat-node-base:local
image=localhost/lifeboat:local
container=""

cleanup() {
  if [ -n "$container" ]; then
    buildah "${storage[@]}" umount "$container" >/dev/null 2>&1 || true
    buildah "${storage[@]}" rm "$container" >/dev/null 2>&1 || true
  fi
  if [ "${KEEP:-0}" = 1 ]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

say() { printf '%s %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

for tool in buildah runc node npm; do
  command -v "$tool" >/dev/null || { echo "build-local.sh: $tool is not installed" >&2; exit 2; }
done
[ "$(id -u)" = 0 ] || { echo "build-local.sh: run as root (buildah's chroot isolation and runc)" >&2; exit 2; }

# 1. The stand-in base: the node binary and what it needs to run and to run npm.
say "making the base from $(node --version) ($(readlink -f "$(command -v node)"))"
node_bin=$(readlink -f "$(command -v node)")
npm_dir=$(cd "$(dirname "$(readlink -f "$(command -v npm)")")/.." && pwd)
rootfs=$work/rootfs
mkdir -p "$rootfs"/{usr/local/bin,usr/local/lib/node_modules,usr/bin,bin,etc/ssl/certs,tmp}
cp "$node_bin" "$rootfs/usr/local/bin/node"
cp /bin/dash "$rootfs/bin/sh"
cp /usr/bin/env "$rootfs/usr/bin/env"
for lib in $(ldd "$node_bin" /bin/dash /usr/bin/env | awk '/=>/ { print $3 } /ld-linux/ { print $1 }' | sort -u); do
  mkdir -p "$rootfs$(dirname "$lib")"
  cp -L "$lib" "$rootfs$lib"
done
cp -r "$npm_dir" "$rootfs/usr/local/lib/node_modules/npm"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
cp /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/"
printf 'root:x:0:0:root:/root:/bin/sh\nnonroot:x:65532:65532::/nonexistent:/bin/sh\n' >"$rootfs/etc/passwd"
printf 'root:x:0:\nnonroot:x:65532:\n' >"$rootfs/etc/group"
chmod 1777 "$rootfs/tmp"
ctr=$(buildah "${storage[@]}" from scratch)
buildah "${storage[@]}" copy "$ctr" "$rootfs/" / >/dev/null
buildah "${storage[@]}" config \
  --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  --env NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt "$ctr"
buildah "${storage[@]}" commit --quiet --rm "$ctr" "$base" >/dev/null

# 2. The Dockerfile, unchanged but for the base.
say "building $repo/Dockerfile with buildah"
start=$(date +%s)
buildah "${storage[@]}" bud --quiet --isolation chroot --network host --pull-never \
  --build-arg NODE_IMAGE="$base" -t "$image" "$repo" >/dev/null
say "built $image in $(($(date +%s) - start)) s"

# 3. Run the image as the image says: its ENTRYPOINT, USER, WORKDIR and ENV, on a read-only root.
container=$(buildah "${storage[@]}" from --pull-never "$image")
root=$(buildah "${storage[@]}" mount "$container")
buildah "${storage[@]}" inspect --type image "$image" >"$work/image.json"
mkdir "$work/bundle"
run_image() {
  (cd "$work/bundle" && rm -f config.json && runc spec &&
    python3 - "$root" "$work/image.json" "$@" <<'EOF'
import json, sys
root, image, args = sys.argv[1], sys.argv[2], sys.argv[3:]
config = json.load(open(image))["OCIv1"]["config"]
spec = json.load(open("config.json"))
uid, gid = config["User"].split(":")
spec["root"] = {"path": root, "readonly": True}
spec["process"].update(terminal=False, user={"uid": int(uid), "gid": int(gid)}, cwd=config["WorkingDir"],
                       env=config["Env"], args=config["Entrypoint"] + args)
json.dump(spec, open("config.json", "w"))
EOF
  ) >/dev/null
  (cd "$work/bundle" && runc run "lifeboat-local-$$")
}
version=$(run_image --version)
expected=$(node -p "require('$repo/package.json').version")
[ "$version" = "$expected" ] || { echo "the image printed version '$version', package.json says '$expected'" >&2; exit 1; }
say "lifeboat --version in the image: $version"
help=$(run_image --help)
for command in run check catalog status restore manifests; do
  grep -qE "^  $command( |$)" <<<"$help" || { echo "the image's --help lacks the command $command" >&2; exit 1; }
done
say "lifeboat --help in the image lists its commands; image size $(du -sh "$root" | cut -f1)"
