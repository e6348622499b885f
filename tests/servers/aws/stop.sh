#!/usr/bin/env bash
# Stops the AWS test servers started by start.sh STATE_DIR: each process id in
# STATE_DIR/pid gets SIGTERM, then SIGKILL if it is still there after 5 s.
# Only processes whose command line names this directory's scripts are
# signalled, so a recycled process id is never hit.
# usage: stop.sh STATE_DIR
set -uo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 STATE_DIR" >&2
  exit 2
fi
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
state=$1
[ -f "$state/pid" ] || exit 0

ours() { # ours PID: the process runs one of our server scripts
  local cmd
  cmd=$(tr '\0' ' ' < "/proc/$1/cmdline" 2>/dev/null) || return 1
  case "$cmd" in *"$here/bin/"*) return 0 ;; *) return 1 ;; esac
}

pids=()
while read -r p; do
  [ -n "$p" ] && ours "$p" && pids+=("$p")
done < "$state/pid"

for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
for _ in $(seq 1 50); do
  alive=0
  for p in "${pids[@]}"; do ours "$p" && alive=1; done
  [ $alive = 0 ] && break
  sleep 0.1
done
for p in "${pids[@]}"; do ours "$p" && kill -KILL "$p" 2>/dev/null; done
rm -f "$state/pid"
rm -rf "$state/s3data" "$state/spool"
exit 0
