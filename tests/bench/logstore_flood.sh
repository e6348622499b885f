#!/usr/bin/env bash
# Benchmark (issue 2): a build floods its log (demo/flood, FLOOD_MB, default
# 1024) through the local executor and the log store while `aftomato build
# --follow` streams it; reports lines/s and MB/s through the log store, peak
# RSS of the console and of the build's supervisor, and the same log piped
# through `cat > /dev/null` as the baseline in the same run.
#
#   tests/bench/logstore_flood.sh [BUILD_DIR]     (default: build)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
bin=$(cd "${1:-$top/build}" && pwd)/aftomato
mb=${FLOOD_MB:-1024}
t=$(mktemp -d /tmp/aftomato-bench.XXXXXX)
trap 'pkill -f -- "$t" 2>/dev/null || true; rm -rf "$t"' EXIT

mkdir -p "$t/repo/demo"
cp -r "$top/packaging/demo/demo/flood" "$t/repo/demo/"
sed -i "s/FLOOD_MB: .*/FLOOD_MB: \"$mb\"/" "$t/repo/demo/flood/project.yaml"
cat > "$t/config.yaml" <<YAML
profiles:
  local:
    build_scripts: $t/repo
    data_dir: $t/data
YAML
export AFTOMATO_CONFIG=$t/config.yaml HOME=$t XDG_STATE_HOME=$t/state

now() { date +%s.%N; }

# Baseline: the same generator through cat.
b0=$(now)
FLOOD_MB=$mb sh "$t/repo/demo/flood/build.sh" | cat > /dev/null
b1=$(now)
bytes=$(FLOOD_MB=$mb sh "$t/repo/demo/flood/build.sh" | wc -c)
lines=$(FLOOD_MB=$mb sh "$t/repo/demo/flood/build.sh" | wc -l)

# The supervisor's peak RSS, sampled while it lives.
sample_supervisor() {
	local peak=0 pid
	while :; do
		pid=$(pgrep -f -- "__supervise $t/data/run" | head -1) || true
		if [ -n "$pid" ] && [ -r /proc/$pid/status ]; then
			v=$(awk '/VmHWM/{print $2}' /proc/$pid/status 2>/dev/null || echo 0)
			[ "${v:-0}" -gt "$peak" ] && peak=$v && echo "$peak" > "$t/sup_rss"
		fi
		[ -f "$t/done" ] && break
		sleep 0.05
	done
}
sample_supervisor &
sampler=$!

# The log streams to /dev/null, as the baseline's does; AFTOMATO_TIMING makes
# aftomato say when the whole log had come through (before it archives it).
s0=$(now)
AFTOMATO_TIMING=1 /usr/bin/time -f '%M' -o "$t/cli_rss" "$bin" build demo/flood --follow \
	> /dev/null 2> "$t/timing"
s2=$(now)
s1=$(awk '/timing: log complete at/ {print $6}' "$t/timing" | tr -d ,)
[ -n "$s1" ] || { cat "$t/timing"; exit 1; }
touch "$t/done"
wait $sampler || true
# Wait for the archive to finish before cleaning up.
for _ in $(seq 1 600); do
	[ -z "$(ls "$t/data/run" 2>/dev/null)" ] && break
	sleep 0.1
done

python3 - "$bytes" "$lines" "$b0" "$b1" "$s0" "$s1" "$(cat "$t/cli_rss")" "$(cat "$t/sup_rss" 2>/dev/null || echo 0)" "$s2" <<'PY'
import sys
bytes_, lines = int(sys.argv[1]), int(sys.argv[2])
b0, b1, s0, s1 = map(float, sys.argv[3:7])
cli_kb, sup_kb = int(sys.argv[7]), int(sys.argv[8])
s2 = float(sys.argv[9])
base, ours = b1 - b0, s1 - s0
mb = bytes_ / 1e6
print(f"log: {mb:.0f} MB, {lines} lines")
print(f"cat baseline:        {base:6.2f} s  {mb/base:8.1f} MB/s  {lines/base/1e6:6.2f} M lines/s")
print(f"aftomato --follow:   {ours:6.2f} s  {mb/ours:8.1f} MB/s  {lines/ours/1e6:6.2f} M lines/s")
print(f"ratio (aftomato/cat): {ours/base:.2f}x   (target <= 3x)")
print(f"then archived (gzip) and recorded: {s2 - s1:.2f} s more")
print(f"peak RSS: console {cli_kb/1024:.1f} MB, supervisor {sup_kb/1024:.1f} MB   (target < 40 MB)")
PY
