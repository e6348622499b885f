# Helpers shared by the lifecycle tests of every profile (local, AWS,
# Kubernetes): sourced by each suite's lib.sh, after it has set T (the test's
# own directory) and AFTOMATO (the binary).

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

aft() {
	"$AFTOMATO" "$@"
}

# field BUILD NAME: one attribute of a build record, through aftomato.
field() {
	aft show "$1" --json |
		python3 -c "import json,sys; v=json.load(sys.stdin).get('$2'); print('' if v is None else v)"
}

# wait_until TIMEOUT_S COMMAND...: polls until the command succeeds.
wait_until() {
	local limit=$(( $(date +%s) + $1 ))
	shift
	until "$@"; do
		[ "$(date +%s)" -lt "$limit" ] || return 1
		sleep 0.1
	done
}

status_is() {
	[ "$(field "$1" status)" = "$2" ]
}

# No process mentions this test's directory (builds, supervisors, consoles).
no_proc() {
	! pgrep -f -- "$T" >/dev/null
}
