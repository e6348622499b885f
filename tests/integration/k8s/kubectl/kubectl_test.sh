#!/usr/bin/env bash
# Runs the real kubectl against a private instance of the k8s test server and
# checks what it prints: version, get, get -w, create -f, logs -f,
# logs --timestamps, delete --cascade=background, RBAC denial and the
# client-certificate context.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
server=$(cd "$here/../../../servers/k8s" && pwd)
KUBECTL=${KUBECTL:-kubectl}
command -v "$KUBECTL" >/dev/null || { echo "kubectl not found" >&2; exit 1; }

base=${AFT_TEST_TMP:-${TMPDIR:-/tmp}}
mkdir -p "$base"
tmp=$(mktemp -d "$base/kubectl-XXXXXX")
state=$tmp/state
watchers=()
cleanup() {
  for p in "${watchers[@]}"; do kill "$p" 2>/dev/null || true; done
  "$server/stop.sh" "$state" || true
  rm -rf "$tmp"
}
trap cleanup EXIT

"$server/start.sh" "$state" --start-delay-ms 100 >/dev/null
# shellcheck disable=SC1091
. "$state/env"
export HOME=$tmp/home KUBECONFIG=$state/kubeconfig
mkdir -p "$HOME"
k() { "$KUBECTL" --cache-dir "$tmp/cache" "$@"; }

step() { printf '== %s\n' "$*"; }
fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }
expect_grep() { # FILE REGEX WHAT
  grep -Eq -- "$2" "$1" || { echo "--- $1:"; cat "$1"; fail "$3"; }
}
wait_for() { # SECONDS WHAT COMMAND...
  local t=$1 what=$2; shift 2
  local end=$((SECONDS + t))
  until "$@"; do
    [ $SECONDS -lt $end ] || fail "timed out waiting for $what"
    sleep 0.2
  done
}

step "kubectl version"
k version >"$tmp/version" 2>&1 || { cat "$tmp/version"; fail "kubectl version"; }
expect_grep "$tmp/version" '^Server Version: v1\.32\.0$' "server version"

step "get pods (empty namespace)"
k get pods >"$tmp/pods0" 2>&1
expect_grep "$tmp/pods0" '^No resources found in aftomato namespace\.$' "empty pod list message"

step "get jobs -w / get pods -w in the background"
k get jobs -w >"$tmp/jobs-watch" 2>&1 &
watchers+=($!)
k get pods -w >"$tmp/pods-watch" 2>&1 &
watchers+=($!)
sleep 1

step "create -f job.yaml"
k create -f "$here/job.yaml" >"$tmp/create" 2>&1 || { cat "$tmp/create"; fail "create"; }
expect_grep "$tmp/create" '^job\.batch/count created$' "create output"

step "logs -f (complete output)"
wait_for 20 "a pod of job count" sh -c "'$KUBECTL' --cache-dir '$tmp/cache' get pods -l job-name=count -o name | grep -q pod/"
for _ in $(seq 1 100); do
  if k logs -f job/count >"$tmp/logs" 2>"$tmp/logs.err"; then break; fi
  grep -q 'waiting to start' "$tmp/logs.err" || { cat "$tmp/logs.err"; fail "logs -f"; }
  sleep 0.1
done
for i in $(seq 1 300); do echo "line $i of 300"; done >"$tmp/logs.want"
diff -u "$tmp/logs.want" "$tmp/logs" >"$tmp/logs.diff" || { head -20 "$tmp/logs.diff"; fail "logs -f output differs"; }

step "job completes; get -w shows the events"
k wait --for=condition=complete job/count --timeout=30s >/dev/null
wait_for 10 "Complete in get jobs -w" grep -Eq '^count +Complete +1/1 ' "$tmp/jobs-watch"
expect_grep "$tmp/jobs-watch" '^NAME +STATUS +COMPLETIONS +DURATION +AGE$' "get jobs -w header"
expect_grep "$tmp/jobs-watch" '^count +Running +0/1 ' "get jobs -w Running row"
wait_for 10 "Completed in get pods -w" grep -Eq '^count-[a-z0-9]{5} +0/1 +Completed +0 ' "$tmp/pods-watch"
expect_grep "$tmp/pods-watch" '^NAME +READY +STATUS +RESTARTS +AGE$' "get pods -w header"
expect_grep "$tmp/pods-watch" '^count-[a-z0-9]{5} +1/1 +Running +0 ' "get pods -w Running row"
for p in "${watchers[@]}"; do kill "$p" 2>/dev/null || true; done
watchers=()

step "get pods / get jobs"
k get pods >"$tmp/pods1" 2>&1
expect_grep "$tmp/pods1" '^count-[a-z0-9]{5} +0/1 +Completed +0 +[0-9]+s$' "get pods row"
k get jobs >"$tmp/jobs1" 2>&1
expect_grep "$tmp/jobs1" '^count +Complete +1/1 +[0-9]+s +[0-9]+s$' "get jobs row"

step "logs --timestamps"
k logs --timestamps job/count >"$tmp/ts" 2>&1
[ "$(wc -l <"$tmp/ts")" -eq 300 ] || fail "logs --timestamps line count"
if grep -Ev '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?Z line [0-9]+ of 300$' "$tmp/ts" | head -3 | grep .; then
  fail "timestamped lines have the wrong shape"
fi
sed -E 's/^[^ ]+ //' "$tmp/ts" | diff -q - "$tmp/logs.want" >/dev/null || fail "timestamped text differs"

step "delete job --cascade=background removes the pod"
k delete job count --cascade=background >"$tmp/delete" 2>&1
expect_grep "$tmp/delete" '^job\.batch "count" deleted$' "delete output"
wait_for 15 "the pod of job count to disappear" sh -c "[ -z \"\$('$KUBECTL' --cache-dir '$tmp/cache' get pods -l job-name=count -o name)\" ]"
curl -fsS "$K8S_TEST_ADMIN_URL/requests?method=DELETE&path=/jobs/count" >"$tmp/reqs"
expect_grep "$tmp/reqs" '"propagationPolicy":"Background"' "delete sent propagationPolicy Background"

step "a forbidden verb shows the RBAC message"
sed 's/name: count/name: guarded/' "$here/job.yaml" | k create -f - >/dev/null
curl -fsS -X POST "$K8S_TEST_ADMIN_URL/rbac/forbid" \
  -d '{"user":"tester","verb":"delete","resource":"jobs"}' >/dev/null
if k delete job guarded >"$tmp/forbidden" 2>&1; then fail "forbidden delete succeeded"; fi
expect_grep "$tmp/forbidden" '^Error from server \(Forbidden\): jobs\.batch "guarded" is forbidden: User "tester" cannot delete resource "jobs" in API group "batch" in the namespace "aftomato"$' "RBAC message"

step "the client-certificate context works"
k --context certuser get jobs >"$tmp/cert" 2>&1 || { cat "$tmp/cert"; fail "certuser get jobs"; }
expect_grep "$tmp/cert" '^guarded +' "certuser sees the job"
k --context certuser delete job guarded --cascade=foreground >"$tmp/cert-del" 2>&1 || { cat "$tmp/cert-del"; fail "certuser delete"; }
curl -fsS "$K8S_TEST_ADMIN_URL/requests?method=DELETE&path=/jobs/guarded" >"$tmp/reqs2"
expect_grep "$tmp/reqs2" '"user":"certuser","status":200' "delete recorded as certuser"

step "imperative create (protobuf bodies): secret, configmap"
k create secret generic creds --from-literal=key=s3cr3t >"$tmp/secret" 2>&1 || { cat "$tmp/secret"; fail "create secret"; }
[ "$(k get secret creds -o jsonpath='{.data.key}')" = "$(printf s3cr3t | base64)" ] || fail "secret data"
k create configmap settings --from-literal=mode=fast >/dev/null
[ "$(k get configmap settings -o jsonpath='{.data.mode}')" = fast ] || fail "configmap data"

step "an expired token is refused"
curl -fsS -X POST "$K8S_TEST_ADMIN_URL/tokens/expire" -d '{"user":"tester"}' >/dev/null
if k get pods >"$tmp/expired" 2>&1; then fail "expired token accepted"; fi
expect_grep "$tmp/expired" 'Unauthorized' "401 for an expired token"

echo "kubectl integration: all checks passed"
