#!/usr/bin/env bash
# Runs every test: makes sure the system packages and NATS are there, then vitest; ends with one summary line.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-system.sh --tests || exit 1
mkdir -p test-results
# Types and lint first: a type error fails in seconds, not after the voice suites.
npx tsc -p . || exit 1
npx biome check . || exit 1
# Production dependencies: fails on known high/critical vulnerabilities; warns (not fails) when the registry
# cannot be asked (offline, a mirror without the audit endpoint). AUDIT_STRICT=1 makes that an error too.
node scripts/audit.mjs || exit 1
CI=1 npx vitest run "$@"
status=$?
node scripts/test-summary.mjs test-results/vitest.json || true
exit $status
