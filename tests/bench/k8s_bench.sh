#!/usr/bin/env bash
# Benchmark of the Kubernetes executor (issue 5), by hand, against a private
# k8s test server; prints ratios against kubectl in the same run.
#
#  1. A build writes a log of BENCH_MB (default 200) MB. Once its pod has
#     ended, `kubectl logs -f POD > /dev/null` and
#     `aftomato logs BUILD --follow > /dev/null` fetch it to the end (aftomato
#     re-attaches, refills its spool from the API with timestamps, archives the
#     log and records the build). Wall time, the ratio, and peak RSS of both,
#     median of BENCH_RUNS (default 3) builds; aftomato's stored log is checked.
#  2. BENCH_BUILDS (default 50) builds log at once (BENCH_LINES lines each,
#     over about 20 s) while one aftomato process follows all of them: its CPU
#     time and peak RSS.
#
#   tests/bench/k8s_bench.sh [BUILD_DIR]     (default: build)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
bin=$(cd "${1:-$top/build}" && pwd)/aftomato
mb=${BENCH_MB:-200}
nbuilds=${BENCH_BUILDS:-50}
KUBECTL=${KUBECTL:-kubectl}
t=$(mktemp -d /tmp/aftomato-k8s-bench.XXXXXX)
cleanup() {
	"$top/tests/servers/k8s/stop.sh" "$t/server" >/dev/null 2>&1 || true
	rm -rf "$t"
}
trap cleanup EXIT

mkdir -p "$t/bin" "$t/repo/bench/big" "$t/repo/bench/many" "$t/home"
ln -s "$bin" "$t/bin/aftomato"
ln -s "$top/packaging/container/entrypoint.sh" "$t/bin/aftomato-entrypoint"
PATH="$t/bin:$PATH" "$top/tests/servers/k8s/start.sh" "$t/server" >/dev/null
# shellcheck disable=SC1091
. "$t/server/env"
export HOME=$t/home XDG_STATE_HOME=$t/state XDG_CONFIG_HOME=$t/config AFTOMATO_CONFIG=$t/config.yaml
unset KUBECONFIG AFTOMATO_PROFILE
cat > "$t/config.yaml" <<YAML
profile: k8s
profiles:
  k8s:
    executor: kubernetes
    store: local
    build_scripts: $t/repo
    data_dir: $t/data
    kubernetes: {kubeconfig: $t/server/kubeconfig, namespace: aftomato}
YAML
lines=$((mb * 1024 * 1024 / 100))
cat > "$t/repo/bench/big/build.sh" <<SH
#!/bin/sh
awk 'BEGIN { pad = sprintf("%090d", 0); for (i = 1; i <= $lines; i++) printf "%08d %s\n", i, pad }'
SH
printf 'buildImage: bench/build:1\n' > "$t/repo/bench/big/project.yaml"
chmod +x "$t/repo/bench/big/build.sh"

api() {
	curl -fsS --cacert "$K8S_TEST_CA" -H "Authorization: Bearer $K8S_TEST_TOKEN" "$K8S_TEST_URL$1"
}
now() { date +%s.%N; }
# last_byte N: reads stdin to its end; prints the time the N-th byte arrived.
last_byte() {
	python3 -c '
import sys, time
want, got, at = int(sys.argv[1]), 0, 0.0
f = sys.stdin.buffer
while True:
    b = f.read1(1 << 20)
    if not b:
        break
    got += len(b)
    if not at and got >= want:
        at = time.time()
print("%.6f" % (at or time.time()))' "$1"
}
# rss_of FILE: peak RSS (KiB) from /usr/bin/time -v output
rss_of() { awk -F': ' '/Maximum resident set size/ { print $2 }' "$1"; }
cpu_of() { awk -F': ' '/User time/ { u = $2 } /System time/ { s = $2 } END { printf "%.2f", u + s }' "$1"; }

# --- 1. one big log (BENCH_RUNS times, a new build each time) ------------------
runs=${BENCH_RUNS:-3}
: > "$t/big.txt"
for r in $(seq 1 "$runs"); do
	id=$("$bin" build bench/big | head -1)
	pod=
	for _ in $(seq 1 600); do
		pod=$(api "/api/v1/namespaces/aftomato/pods?labelSelector=aftomato.io%2Fbuild-id%3D$id" |
			python3 -c 'import json,sys; i=json.load(sys.stdin)["items"]; print(i[0]["metadata"]["name"] if i and i[0]["status"].get("phase") == "Succeeded" else "")')
		[ -n "$pod" ] && break
		sleep 0.5
	done
	[ -n "$pod" ] || { echo "the big build did not finish" >&2; exit 1; }
	t0=$(now)
	/usr/bin/time -v "$KUBECTL" --kubeconfig "$t/server/kubeconfig" --cache-dir "$t/kcache" \
		-n aftomato logs -f "$pod" > /dev/null 2> "$t/kubectl.time"
	t1=$(now)
	/usr/bin/time -v "$bin" logs "$id" --follow 2> "$t/aftomato.time" | last_byte "$((lines * 100))" > "$t/last"
	t2=$(now)
	echo "$(echo "$t1 - $t0" | bc -l) $(echo "$t2 - $t1" | bc -l) $(rss_of "$t/kubectl.time") $(rss_of "$t/aftomato.time") $(echo "$(cat "$t/last") - $t1" | bc -l)" >> "$t/big.txt"
	[ "$("$bin" logs "$id" | wc -l)" = "$lines" ] || { echo "run $r: aftomato's log is incomplete" >&2; exit 1; }
done
printf 'log of %d MB followed to the end once its pod finished (%d runs, median):\n' "$mb" "$runs"
sort -n -k1,1 "$t/big.txt" | awk -v n="$runs" 'NR == int((n + 1) / 2) { print $1, $3 }' > "$t/k.med"
sort -n -k2,2 "$t/big.txt" | awk -v n="$runs" 'NR == int((n + 1) / 2) { print $2, $4 }' > "$t/a.med"
read -r k krss < "$t/k.med"
read -r a arss < "$t/a.med"
printf '  kubectl logs -f          %6.2f s  %6.0f MB/s  peak RSS %6d KiB\n' "$k" "$(echo "$mb / $k" | bc -l)" "$krss"
printf '  aftomato logs --follow   %6.2f s  %6.0f MB/s  peak RSS %6d KiB  (to its exit: archived and recorded)\n' "$a" "$(echo "$mb / $a" | bc -l)" "$arss"
sort -n -k5,5 "$t/big.txt" | awk -v n="$runs" 'NR == int((n + 1) / 2) { print $5 }' > "$t/l.med"
read -r l < "$t/l.med"
printf '  aftomato, last byte out  %6.2f s  %6.0f MB/s  ratio kubectl/aftomato %.2fx\n' "$l" "$(echo "$mb / $l" | bc -l)" "$(echo "$k / $l" | bc -l)"
printf '  ratio kubectl/aftomato   %6.2fx   (to the exit; all runs, kubectl s / aftomato s:%s)\n' "$(echo "$k / $a" | bc -l)" "$(awk '{ printf " %.2f/%.2f", $1, $2 }' "$t/big.txt")"

# --- 2. many builds at once ----------------------------------------------------
n=${BENCH_LINES:-20000}
cat > "$t/repo/bench/many/build.sh" <<SH
#!/bin/sh
awk 'BEGIN { for (i = 1; i <= $n; i++) { printf "%08d build output line with some text in it\n", i; if (i % 1000 == 0) system("sleep 1") } }'
SH
printf 'buildImage: bench/build:1\n' > "$t/repo/bench/many/project.yaml"
chmod +x "$t/repo/bench/many/build.sh"
mkdir -p "$t/repo/bench/last"
{ cat "$t/repo/bench/many/build.sh"; echo "sleep 5"; } > "$t/repo/bench/last/build.sh"
cp "$t/repo/bench/many/project.yaml" "$t/repo/bench/last/"
chmod +x "$t/repo/bench/last/build.sh"
ids=()
for i in $(seq 1 "$nbuilds"); do
	ids+=("$("$bin" build bench/many --branch "b$i" | head -1)")
done
last=$("$bin" build bench/last | head -1)
# One process follows the last build (it ends 5 s after the others); it
# attaches to every build of the namespace and follows and archives them all.
t3=$(now)
/usr/bin/time -v "$bin" logs "$last" --follow > /dev/null 2> "$t/many.time"
t4=$(now)
ok=0
for id in "${ids[@]}"; do
	[ "$("$bin" logs "$id" | wc -l)" = "$n" ] && ok=$((ok + 1))
done
printf '%d builds of %d lines each, followed by one aftomato process:\n' "$nbuilds" "$n"
printf '  wall %.1f s, CPU %s s, peak RSS %d KiB; complete logs: %d of %d\n' \
	"$(echo "$t4 - $t3" | bc -l)" "$(cpu_of "$t/many.time")" "$(rss_of "$t/many.time")" "$ok" "$nbuilds"
