#!/bin/sh
# Would run the service's tests against its database sidecar.
echo "testing with $DATABASE_URL"
if command -v pg_isready >/dev/null 2>&1 && pg_isready -h localhost -q; then
	echo "database is up"
else
	echo "no database here (sidecars run only on Kubernetes); skipping integration tests"
fi
echo "ok"
