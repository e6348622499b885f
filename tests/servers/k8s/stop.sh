#!/usr/bin/env bash
# Stops the instance started by start.sh STATE_DIR and every container
# process it started (their process groups are listed in STATE_DIR/procs).
set -uo pipefail
[ $# -eq 1 ] || { echo "usage: stop.sh STATE_DIR" >&2; exit 2; }
state=$1
[ -f "$state/pid" ] || exit 0
pid=$(cat "$state/pid")
if kill -0 "$pid" 2>/dev/null; then
  kill -TERM "$pid" 2>/dev/null
  for _ in $(seq 1 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
fi
# Container processes run in their own process groups (pgid = pid).
if [ -d "$state/procs" ]; then
  for f in "$state"/procs/*; do
    [ -e "$f" ] || continue
    pg=$(basename "$f")
    case $pg in ''|*[!0-9]*) continue ;; esac
    kill -KILL -- "-$pg" 2>/dev/null
    rm -f "$f"
  done
fi
rm -f "$state/pid" "$state/ready"
exit 0
