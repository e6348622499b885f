#!/usr/bin/env bash
# Starts one test API server instance: start.sh STATE_DIR [server options]
# Writes STATE_DIR/{kubeconfig,kubeconfig-inline,env,env.json,pid,server.log}
# and waits until the server answers. Options are passed to server.js.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
[ $# -ge 1 ] || { echo "usage: start.sh STATE_DIR [server options]" >&2; exit 2; }
state=$1
shift
mkdir -p "$state"
state=$(cd "$state" && pwd)

# A previous instance in the same directory is stopped first.
if [ -f "$state/pid" ]; then
  "$here/stop.sh" "$state" || true
fi
rm -f "$state/ready" "$state/env" "$state/pid"

node=${NODE:-node}
setsid "$node" "$here/server.js" --state-dir "$state" "$@" \
  >"$state/server.log" 2>&1 </dev/null &
pid=$!
echo "$pid" >"$state/pid"

for _ in $(seq 1 300); do
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "start.sh: k8s test server exited; log:" >&2
    cat "$state/server.log" >&2
    exit 1
  fi
  if [ -f "$state/ready" ] && [ -f "$state/env" ]; then
    # shellcheck disable=SC1091
    . "$state/env"
    if curl -fsS --max-time 2 --cacert "$K8S_TEST_CA" "$K8S_TEST_URL/version" >/dev/null 2>&1 &&
       curl -fsS --max-time 2 "$K8S_TEST_ADMIN_URL/healthz" >/dev/null 2>&1; then
      echo "k8s test server ready: $K8S_TEST_URL (admin $K8S_TEST_ADMIN_URL, state $state)"
      exit 0
    fi
  fi
  sleep 0.1
done
echo "start.sh: k8s test server did not become ready in 30 s; log:" >&2
cat "$state/server.log" >&2
kill "$pid" 2>/dev/null || true
exit 1
