#!/usr/bin/env bash
# Installs the Debian packages the real node needs (container runtime, CNI plugins, iptables for kube-proxy, jq and
# the shell tools copied into the mover image). Only what is missing is installed: a warm machine runs no apt at all.
#
#   bash testenv/packages.sh          install what is missing (needs root and apt-get)
#   bash testenv/packages.sh --check  exit 1 and list what is missing, install nothing
set -euo pipefail
packages=(containerd runc containernetworking-plugins iptables jq bash coreutils)
say() { printf '[testenv] %s\n' "$*" >&2; }
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && { say "Debian packages present: ${packages[*]}"; exit 0; }
if [[ ${1:-} == --check ]]; then say "missing Debian packages: ${missing[*]} (run: bash testenv/packages.sh)"; exit 1; fi
command -v apt-get >/dev/null || { say "missing Debian packages ${missing[*]} and no apt-get: install them by hand"; exit 1; }
[[ $(id -u) -eq 0 ]] || { say "missing Debian packages ${missing[*]}: run as root (the real node needs root anyway)"; exit 1; }
say "installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get -o DPkg::Lock::Timeout=600 update -qq
apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
say "installed: ${missing[*]}"
