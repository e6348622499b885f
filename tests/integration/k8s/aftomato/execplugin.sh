#!/usr/bin/env bash
# Credentials from an exec plugin (ExecCredential client.authentication.k8s.io/v1,
# as EKS uses): the plugin runs once and its token is reused; when the API
# starts refusing the token (401), the plugin runs again and work goes on,
# while the build's log stream that was already open is not broken.
. "$(dirname "$0")/lib.sh"

cat > "$T/plugin.sh" <<'SH'
#!/bin/sh
n=$(( $(cat "$PLUGIN_DIR/count" 2>/dev/null || echo 0) + 1 ))
echo $n > "$PLUGIN_DIR/count"
printf '%s' "$KUBERNETES_EXEC_INFO" > "$PLUGIN_DIR/info"
tok="plugin-token-$n-$$"
curl -fsS -X POST -H 'Content-Type: application/json' \
	-d "{\"token\":\"$tok\",\"user\":\"tester\"}" "$PLUGIN_ADMIN/tokens" >/dev/null || exit 1
printf '{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","status":{"token":"%s"}}\n' "$tok"
SH
chmod +x "$T/plugin.sh"
cat > "$T/kubeconfig" <<YAML
apiVersion: v1
kind: Config
clusters:
- name: test
  cluster: {server: "$K8S_TEST_URL", certificate-authority: "$K8S_TEST_CA"}
contexts:
- name: eks-like
  context: {cluster: test, user: plugin, namespace: aftomato}
current-context: eks-like
users:
- name: plugin
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: ./plugin.sh
      interactiveMode: Never
      provideClusterInfo: true
      env:
      - {name: PLUGIN_DIR, value: "$T"}
      - {name: PLUGIN_ADMIN, value: "$K8S_TEST_ADMIN_URL"}
YAML
KUBECONFIG_FILE=$T/kubeconfig write_config

project team/p <<'SH'
#!/bin/sh
i=1; while [ $i -le 60 ]; do echo "p line $i"; i=$((i+1)); sleep 0.1; done
SH
bg sh -c "exec \"$AFTOMATO\" build team/p --follow > '$T/out' 2> '$T/err'"
p=${BG_PIDS[-1]}
wait_until 20 grep -qx "p line 5" "$T/out" || fail "build did not start: $(cat "$T/err")"
[ "$(cat "$T/count")" = 1 ] || fail "the plugin ran $(cat "$T/count") times for one token"
grep -q "\"server\":\"$K8S_TEST_URL\"" "$T/info" || fail "KUBERNETES_EXEC_INFO: $(cat "$T/info")"
# The token is refused from now on; the watches must reconnect with a new one.
admin POST /tokens/expire '{"user":"tester"}' >/dev/null
admin POST /watches/close '{}' >/dev/null
wait "$p" || fail "build exited $?: $(cat "$T/err")"
[ "$(cat "$T/count")" -ge 2 ] || fail "the plugin did not run again"
[ "$(grep -c '^p line' "$T/out")" = 60 ] || fail "log: $(grep -c '^p line' "$T/out") lines"
id=$(head -1 "$T/out")
logs=$(admin GET "/requests?method=GET&path=/log" | python3 -c '
import json,sys; r=json.load(sys.stdin); r=r.get("requests",r) if isinstance(r,dict) else r
print(len([x for x in r if x["status"] == 200]))')
[ "$logs" = 1 ] || fail "the log stream was opened $logs times"
admin GET "/requests?since=0" | python3 -c '
import json,sys; r=json.load(sys.stdin); r=r.get("requests",r) if isinstance(r,dict) else r
assert any(x["status"] == 401 for x in r), "no request was refused"' || fail "no 401 seen"
[ "$(field "$id" status)" = succeeded ] || fail "status"
echo ok
