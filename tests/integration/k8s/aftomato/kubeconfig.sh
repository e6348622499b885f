#!/usr/bin/env bash
# Reaching the cluster as kubectl would: a client certificate context, inline
# -data fields, KUBECONFIG with several files merged first-wins, a context
# chosen in the profile, tls-server-name, and insecure-skip-tls-verify; a wrong
# server name or a missing CA fails with a clear error on one line.
. "$(dirname "$0")/lib.sh"

project team/q <<'SH'
#!/bin/sh
echo "hello from $BUILD_ID"
SH

ok_build() { # what
	aft build team/q --follow > "$T/out" 2> "$T/err" || fail "$1: build exited $? ($(cat "$T/err"))"
	grep -q "^hello from " "$T/out" || fail "$1: no log"
}

bad_build() { # what pattern (args: what, pattern)
	set +e
	aft build team/q --follow > "$T/out" 2> "$T/err"
	local rc=$?
	set -e
	[ $rc -eq 3 ] || fail "$1: exit $rc ($(cat "$T/err"))"
	grep -q -- "$2" "$T/err" || fail "$1: stderr $(cat "$T/err")"
	local id
	id=$(head -1 "$T/out")
	[ "$(field "$id" status)" = error ] || fail "$1: status $(field "$id" status)"
	field "$id" statusMessage | grep -q -- "$2" || fail "$1: message $(field "$id" statusMessage)"
}

# Client certificate user (context certuser of the server's kubeconfig).
sed -i 's|kubeconfig: \([^,]*\), namespace|kubeconfig: \1, context: certuser, namespace|' "$AFTOMATO_CONFIG"
grep -q 'context: certuser' "$AFTOMATO_CONFIG" || fail "config edit"
ok_build "client certificate"
admin GET "/requests?method=POST&path=/jobs" | grep -q '"user":"certuser"' || fail "not sent as certuser"

# Inline certificate-authority-data / client-certificate-data / client-key-data.
KUBECONFIG_FILE=$SRV/kubeconfig-inline write_config
sed -i 's|kubeconfig: \([^,]*\), namespace|kubeconfig: \1, context: certuser, namespace|' "$AFTOMATO_CONFIG"
ok_build "inline data"

# KUBECONFIG: the first file names the context and the user, the second the cluster.
cat > "$T/kc1" <<YAML
current-context: merged
contexts: [{name: merged, context: {cluster: test, user: tester}}]
users: [{name: tester, user: {token: "$K8S_TEST_TOKEN"}}]
YAML
cat > "$T/kc2" <<YAML
current-context: ignored
clusters: [{name: test, cluster: {server: "$K8S_TEST_URL", certificate-authority: "$K8S_TEST_CA"}}]
users: [{name: tester, user: {token: wrong-token}}]
YAML
write_config
sed -i '/kubernetes:/d' "$AFTOMATO_CONFIG"
KUBECONFIG="$T/kc1:$T/missing:$T/kc2" ok_build "KUBECONFIG merge"

# tls-server-name: the certificate is checked against that name.
port=${K8S_TEST_URL##*:}
cat > "$T/kc3" <<YAML
current-context: c
contexts: [{name: c, context: {cluster: c, user: u}}]
clusters: [{name: c, cluster: {server: "https://127.0.0.1:$port", certificate-authority: "$K8S_TEST_CA", tls-server-name: localhost}}]
users: [{name: u, user: {token: "$K8S_TEST_TOKEN"}}]
YAML
KUBECONFIG_FILE=$T/kc3 write_config
ok_build "tls-server-name"
sed -i 's/tls-server-name: localhost/tls-server-name: wrong.example/' "$T/kc3"
bad_build "wrong server name" "no alternative certificate subject name matches target host name .wrong.example."

# No CA: refused, unless insecure-skip-tls-verify is set.
sed -i 's/, certificate-authority: "[^"]*", tls-server-name: wrong.example//' "$T/kc3"
grep -q certificate-authority "$T/kc3" && fail "edit"
bad_build "unknown CA" "SSL certificate problem"
sed -i 's|server: "https://127.0.0.1:'"$port"'"|server: "https://127.0.0.1:'"$port"'", insecure-skip-tls-verify: true|' "$T/kc3"
ok_build "insecure-skip-tls-verify"

# Errors in the kubeconfig name file:line:column.
printf 'current-context: c\ncontexts: [{name: c, context: {cluster: nowhere}}]\n' > "$T/kc4"
KUBECONFIG_FILE=$T/kc4 write_config
set +e
aft build team/q > "$T/out" 2> "$T/err"
rc=$?
set -e
[ $rc -eq 2 ] || fail "bad kubeconfig: exit $rc"
grep -q "$T/kc4:2:.*cluster 'nowhere', which is not defined" "$T/err" || fail "bad kubeconfig: $(cat "$T/err")"
[ "$(wc -l < "$T/err")" = 1 ] || fail "not one line: $(cat "$T/err")"
echo ok
