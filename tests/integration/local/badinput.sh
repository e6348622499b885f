#!/usr/bin/env bash
# Bad input gets one clear line on stderr and the right exit status:
# malformed configuration and descriptors (file:line:column), unknown
# projects, build ID prefixes that match none or several, a build script that
# is not executable, unknown commands and options.
. "$(dirname "$0")/lib.sh"

# expect STATUS PATTERN COMMAND...: exit status and a one-line stderr.
expect() {
	local want=$1 pattern=$2
	shift 2
	set +e
	"$@" > "$T/stdout" 2> "$T/stderr"
	local rc=$?
	set -e
	[ $rc -eq "$want" ] || fail "$*: exit $rc, want $want ($(cat "$T/stderr"))"
	[ "$(wc -l < "$T/stderr")" -eq 1 ] || fail "$*: stderr is not one line: $(cat "$T/stderr")"
	grep -qE -- "$pattern" "$T/stderr" || fail "$*: stderr '$(cat "$T/stderr")' !~ $pattern"
}

good=$(cat "$AFTOMATO_CONFIG")
printf 'profile: local\nprofiles:\n  local:\n    executor: [local\n' > "$AFTOMATO_CONFIG"
expect 2 "config.yaml:[0-9]+:[0-9]+: " aft projects
printf 'profile: local\nprofiles:\n  local:\n    exekutor: local\n' > "$AFTOMATO_CONFIG"
expect 2 "config.yaml:4:5: .*unknown key 'exekutor'" aft projects
printf 'profile: local\nmouse: sometimes\n' > "$AFTOMATO_CONFIG"
expect 2 "config.yaml:2:8: " aft projects
printf '%s\n' "$good" > "$AFTOMATO_CONFIG"
expect 2 "unknown profile|profile 'nope'" aft --profile nope projects
expect 2 "not found|does not exist|No such file" aft --config "$T/missing.yaml" projects

project team/ok <<'SH'
#!/bin/sh
echo ok
SH
DESC='timeoutSeconds: soon' project team/baddesc <<'SH'
#!/bin/sh
echo never
SH
expect 2 "team/baddesc/project.yaml:1:17: " aft build team/baddesc
printf '{"buildImage": 42}' > "$REPO/team/ok/project.json"
expect 2 "team/ok/project.json: .*buildImage" aft build team/ok
rm "$REPO/team/ok/project.json"
expect 2 "unknown project 'team/nope'" aft build team/nope
expect 2 "unknown project 'team/ko'.*team/ok" aft build team/ko
project team/noexec <<'SH'
#!/bin/sh
echo never
SH
chmod -x "$REPO/team/noexec/build.sh"
expect 2 "team/noexec/build.sh is not executable" aft build team/noexec

a=$(aft build team/ok --follow | head -1)
b=$(aft build team/ok --follow | head -1)
expect 2 "no build matches 'fff+'" aft show fffffffffff
expect 2 "no build matches" aft show 'not-an-id!'
common=""
for n in $(seq 1 36); do
	[ "${a:0:$n}" = "${b:0:$n}" ] || break
	common=${a:0:$n}
done
if [ -z "$common" ]; then
	# Make an ambiguous prefix: builds until two share a first character.
	while :; do
		c=$(aft build team/ok --follow | head -1)
		for x in $a $b; do [ "${x:0:1}" = "${c:0:1}" ] && common=${c:0:1}; done
		[ -n "$common" ] && break
		a=$b b=$c
	done
fi
expect 2 "'$common' matches several builds" aft show "$common"

expect 2 "unknown command 'frobnicate'" aft frobnicate
expect 2 "unknown option --frob" aft --frob
expect 2 "usage: aftomato build" aft build
expect 2 "needs a terminal" aft < /dev/null
no_strays
echo ok
