# Helpers for the Kubernetes executor tests. Each test gets a private k8s test
# server (its "containers" run on this machine, with a PATH that finds the
# aftomato binary under test and the build container's entrypoint), its own
# configuration, build-scripts repository and data directory under
# AFT_TEST_TMP, and runs the real aftomato binary ($AFTOMATO).
set -euo pipefail

: "${AFTOMATO:?AFTOMATO must name the aftomato binary}"
: "${AFT_TEST_TMP:?}"
: "${AFT_SOURCE_DIR:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../../.." && pwd)}"

T=$(mktemp -d "$AFT_TEST_TMP/k8s.XXXXXX")
REPO=$T/repo
DATA=$T/data
SRV=$T/server
BIN=$T/bin
export HOME=$T/home XDG_CONFIG_HOME=$T/config XDG_DATA_HOME=$T/xdgdata \
	XDG_STATE_HOME=$T/state XDG_CACHE_HOME=$T/cache
export AFTOMATO_CONFIG=$T/config.yaml
export AFTOMATO_K8S_SETTLE_MS=${AFTOMATO_K8S_SETTLE_MS:-1500}
unset AFTOMATO_PROFILE KUBECONFIG
mkdir -p "$REPO" "$HOME" "$BIN"
ln -s "$AFTOMATO" "$BIN/aftomato"
ln -s "$AFT_SOURCE_DIR/packaging/container/entrypoint.sh" "$BIN/aftomato-entrypoint"

# The server's containers inherit its PATH.
PATH="$BIN:$PATH" "$AFT_SOURCE_DIR/tests/servers/k8s/start.sh" "$SRV" ${K8S_SERVER_OPTS:-} >/dev/null
# shellcheck disable=SC1091
. "$SRV/env"
unset KUBECONFIG

. "$(dirname "${BASH_SOURCE[0]}")/../../common.sh"

write_config() {
	cat > "$AFTOMATO_CONFIG" <<YAML
profile: k8s
profiles:
  k8s:
    executor: kubernetes
    store: local
    build_scripts: $REPO
    data_dir: ${1:-$DATA}
    kubernetes: {kubeconfig: ${KUBECONFIG_FILE:-$SRV/kubeconfig}, namespace: aftomato}
YAML
}
write_config

# project KEY < build.sh   (descriptor text in $DESC; buildImage defaults)
project() {
	mkdir -p "$REPO/$1"
	cat > "$REPO/$1/build.sh"
	chmod +x "$REPO/$1/build.sh"
	printf 'buildImage: %s\n%s\n' "${IMAGE:-aftomato/build:test}" "${DESC:-}" > "$REPO/$1/project.yaml"
}

# admin METHOD PATH [JSON]: the test server's admin endpoint
admin() {
	if [ $# -ge 3 ]; then
		curl -fsS -X "$1" -H 'Content-Type: application/json' -d "$3" "$K8S_TEST_ADMIN_URL$2"
	else
		curl -fsS -X "$1" "$K8S_TEST_ADMIN_URL$2"
	fi
}

# api METHOD PATH: the API as the user "other" (the tests' own look-ups; the
# builds run as "tester")
api() {
	curl -sS --cacert "$K8S_TEST_CA" -H "Authorization: Bearer $K8S_TEST_TOKEN_OTHER" -X "$1" \
		"$K8S_TEST_URL$2"
}

jobs_json() {
	api GET "/apis/batch/v1/namespaces/aftomato/jobs"
}

job_exists() {
	api GET "/apis/batch/v1/namespaces/aftomato/jobs/aftomato-$1" | grep -q '"kind":"Job"'
}

no_job() {
	! job_exists "$1"
}

# Background processes a test starts (bg CMD...) are killed at the end.
BG_PIDS=()
bg() {
	"$@" &
	BG_PIDS+=($!)
}

cleanup() {
	for p in "${BG_PIDS[@]}"; do
		kill -KILL "$p" 2>/dev/null || true
	done
	if [ "${KEEP_SERVER:-0}" != 1 ]; then
		"$AFT_SOURCE_DIR/tests/servers/k8s/stop.sh" "$SRV" >/dev/null 2>&1 || true
	fi
	if [ "${KEEP_TMP:-0}" != 1 ]; then
		rm -rf "$T" 2>/dev/null || true
	fi
}
trap cleanup EXIT
