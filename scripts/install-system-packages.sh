#!/usr/bin/env bash
# Install the Debian packages listed in $1 that are missing (needs root; apt-get).
# A line "package command" skips the package when that command is already on PATH (npm may come with
# another vendor's nodejs package, with which Debian's npm package cannot be installed).
set -euo pipefail
list="${1:?usage: install-system-packages.sh FILE}"
mapfile -t wanted < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$list" | awk '{print $1 ":" $2}')
missing=()
for entry in "${wanted[@]}"; do
  pkg="${entry%%:*}" cmd="${entry#*:}"
  if [ -n "$cmd" ] && command -v "$cmd" >/dev/null 2>&1; then continue; fi
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing system packages: ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "not root: install them yourself: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
