#!/bin/sh
# Fails on purpose, after a little output.
echo "compiling..."
sleep 1
echo "src/main.c:42: error: expected ';' before '}' token" >&2
echo "ERROR: build failed"
exit 3
