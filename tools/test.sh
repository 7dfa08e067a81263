#!/usr/bin/env bash
# The README's test command: installs dependencies if needed, starts the real infrastructure (Kafka,
# MariaDB, Redis), type-checks and lints, then runs every unit and integration test.
set -euo pipefail
cd "$(dirname "$0")/.."
t0=$(date +%s)
[[ -d node_modules ]] || npm ci --no-audit --no-fund
bash deploy/infra.sh up
# The operations-view test runs a real Prometheus and promtool (Debian package `prometheus`).
if ! command -v promtool >/dev/null && command -v apt-get >/dev/null; then
  echo "[test] installing prometheus (promtool)"
  { [[ $(id -u) == 0 ]] && SUDO= || SUDO=sudo; $SUDO apt-get install -y --no-install-recommends prometheus >/dev/null 2>&1 \
    || { $SUDO apt-get update -qq && $SUDO apt-get install -y --no-install-recommends prometheus >/dev/null; }; } || echo "[test] could not install prometheus"
fi
# The console's browser test (tools/platform/console.int-spec.ts) drives Debian's chromium; never a downloaded browser.
if ! command -v chromium >/dev/null && command -v apt-get >/dev/null; then
  echo "[test] installing chromium"
  { [[ $(id -u) == 0 ]] && SUDO= || SUDO=sudo; $SUDO apt-get install -y --no-install-recommends chromium >/dev/null 2>&1 \
    || { $SUDO apt-get update -qq && $SUDO apt-get install -y --no-install-recommends chromium >/dev/null; }; } || echo "[test] could not install chromium"
fi
echo "[test] type check"; npx tsc -p tsconfig.json --noEmit; npx tsc -p apps/console/tsconfig.json
echo "[test] lint"; NX_DAEMON=false npx nx show projects >/dev/null; NX_DAEMON=false npx eslint apps libs tools --max-warnings 0
mkdir -p .run
status=0
npx jest --ci --runInBand --forceExit --json --outputFile=.run/jest-results.json "$@" || status=$?
node -e '
  const r = require("./.run/jest-results.json");
  console.log(`\n[test] suites ${r.numPassedTestSuites}/${r.numTotalTestSuites}, tests ${r.numPassedTests}/${r.numTotalTests}`);
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed`);
'
echo "[test] took $(( $(date +%s) - t0 )) s"
exit $status
