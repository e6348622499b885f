#!/usr/bin/env bash
# Installs what aftomato needs to build, run and test on Debian bookworm:
# Debian packages, then the npm test servers pinned by their package-lock.json.
# Idempotent: a second run installs nothing and returns in well under a second.
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)

pkgs=(build-essential cmake pkg-config
      libncurses-dev libcurl4-openssl-dev libssl-dev libjansson-dev libyaml-dev
      libreadline-dev libsqlite3-dev libexpat1-dev zlib1g-dev libpcre2-dev
      libcmocka-dev tmux strace awscli yamllint openssl curl procps python3 python3-pyte python3-yaml bc time)

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# Node.js may come from Debian or from another repository that bundles npm.
command -v node >/dev/null && command -v npm >/dev/null || missing+=(nodejs npm)
# kubectl is on the machines; Debian's kubernetes-client is the fallback.
command -v kubectl >/dev/null || missing+=(kubernetes-client)

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -q >&2 || true
  "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
fi

# npm test servers: one package-lock.json per server directory.
if [ "${AFTOMATO_SKIP_NPM:-0}" != 1 ]; then
  for lock in "$top"/tests/servers/*/package-lock.json; do
    [ -f "$lock" ] || continue
    dir=$(dirname "$lock")
    stamp="$dir/node_modules/.aftomato-lock.sha256"
    want=$(sha256sum "$lock" | cut -d' ' -f1)
    if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
      echo "setup: npm ci in ${dir#"$top"/}" >&2
      (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >&2)
      echo "$want" > "$stamp"
    fi
  done
fi
