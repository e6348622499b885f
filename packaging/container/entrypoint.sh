#!/bin/sh
# aftomato-entrypoint: how the build container runs a build (DESIGN.md §1).
#
# Runs the build script ($AFTOMATO_BUILD_SCRIPT, by default /aftomato/build.sh,
# which the build's ConfigMap provides) in $WORKSPACE, then uploads whatever it
# left in $ARTIFACTS_DIR as the build's artifacts with
#   aftomato artifacts push "$BUILD_ID" "$ARTIFACTS_DIR"
# (configured by $AFTOMATO_CONFIG, also from the ConfigMap; AWS credentials
# come from the pod's environment). The exit status is the build script's, so
# the console records it as buildResult. SIGTERM (a cancel or a deadline) is
# passed on to the build.
set -u

script=${AFTOMATO_BUILD_SCRIPT:-/aftomato/build.sh}
: "${BUILD_ID:?BUILD_ID is not set}"
: "${ARTIFACTS_DIR:=/artifacts}"
: "${WORKSPACE:=$PWD}"

mkdir -p "$ARTIFACTS_DIR" "$WORKSPACE" || exit 125
cd "$WORKSPACE" || exit 125

if [ -x "$script" ]; then
	"$script" </dev/null &
else
	sh "$script" </dev/null &
fi
child=$!
trap 'kill -TERM "$child" 2>/dev/null' TERM INT HUP
wait "$child"
rc=$?
# A trapped signal interrupts wait: wait again for the build's own status.
while kill -0 "$child" 2>/dev/null; do
	wait "$child"
	rc=$?
done
trap - TERM INT HUP

if [ -n "$(ls -A "$ARTIFACTS_DIR" 2>/dev/null)" ]; then
	if ! out=$(aftomato artifacts push "$BUILD_ID" "$ARTIFACTS_DIR" 2>&1 >/dev/null); then
		printf 'aftomato-entrypoint: uploading the artifacts of build %s failed: %s\n' \
			"$BUILD_ID" "$out" >&2
	fi
fi
exit "$rc"
