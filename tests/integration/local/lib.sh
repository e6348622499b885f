# Helpers for the local lifecycle tests: each test gets its own configuration,
# build-scripts repository and data directory under AFT_TEST_TMP, and runs the
# real aftomato binary ($AFTOMATO) through its command line.
set -euo pipefail

: "${AFTOMATO:?AFTOMATO must name the aftomato binary}"
: "${AFT_TEST_TMP:?}"

T=$(mktemp -d "$AFT_TEST_TMP/local.XXXXXX")
REPO=$T/repo
DATA=$T/data
export HOME=$T/home XDG_CONFIG_HOME=$T/config XDG_DATA_HOME=$T/xdgdata \
	XDG_STATE_HOME=$T/state XDG_CACHE_HOME=$T/cache
export AFTOMATO_CONFIG=$T/config.yaml AFTOMATO_KILL_GRACE_MS=${AFTOMATO_KILL_GRACE_MS:-1000}
unset AFTOMATO_PROFILE
mkdir -p "$REPO" "$HOME"
cat > "$AFTOMATO_CONFIG" <<YAML
profile: local
profiles:
  local:
    executor: local
    store: local
    build_scripts: $REPO
    data_dir: $DATA
YAML

. "$(dirname "${BASH_SOURCE[0]}")/../common.sh"

# project KEY < build.sh   (descriptor text in $DESC, if set)
project() {
	mkdir -p "$REPO/$1"
	cat > "$REPO/$1/build.sh"
	chmod +x "$REPO/$1/build.sh"
	if [ -n "${DESC:-}" ]; then
		printf '%s\n' "$DESC" > "$REPO/$1/project.yaml"
	fi
}

# Zombie processes whose parent is this shell or one of its children.
zombies() {
	ps -eo stat=,ppid=,pid=,args= | awk -v me=$$ '$1 ~ /^Z/ && $2 == me'
}

no_strays() {
	wait_until 15 no_proc || fail "processes left behind: $(pgrep -af -- "$T")"
	[ -z "$(zombies)" ] || fail "zombies: $(zombies)"
}

cleanup() {
	pkill -KILL -f -- "$T" 2>/dev/null || true
	if [ "${KEEP_TMP:-0}" != 1 ]; then
		rm -rf "$T" 2>/dev/null || true
	fi
}
trap cleanup EXIT
