#!/bin/sh
# Writes FLOOD_MB megabytes of log lines as fast as the machine allows.
set -e
yes 'flood: the quick brown fox jumps over the lazy dog while the build log keeps growing fast' |
	head -c "$((${FLOOD_MB:-200} * 1024 * 1024))"
echo
echo "flooded ${FLOOD_MB:-200} MB"
