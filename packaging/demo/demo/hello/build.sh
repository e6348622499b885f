#!/bin/sh
# Prints steadily for about five seconds and leaves artifacts.
set -e
echo "building $PROJECT_KEY at $BRANCH_TO_BUILD (build $BUILD_ID)"
i=1
while [ $i -le 20 ]; do
	printf '\033[32m[step %02d/20]\033[0m %s from %s\n' "$i" "$GREETING" "$PROJECT_KEY"
	i=$((i + 1))
	sleep 0.25
done
echo "warning: this is only a demo" >&2
mkdir -p "$ARTIFACTS_DIR/reports" "$ARTIFACTS_DIR/bin"
printf 'project: %s\nbranch: %s\nbuild: %s\nresult: ok\n' \
	"$PROJECT_KEY" "$BRANCH_TO_BUILD" "$BUILD_ID" > "$ARTIFACTS_DIR/reports/summary.txt"
head -c 4096 /dev/urandom > "$ARTIFACTS_DIR/bin/hello.bin"
printf '\000\001\002\377binary' >> "$ARTIFACTS_DIR/bin/hello.bin"
echo "done"
