#!/usr/bin/env bash
# The README's start command: installs dependencies if needed, starts infrastructure, runs migrations,
# starts the simulators (when no API keys are set) and the six services, and prints where they listen.
set -euo pipefail
cd "$(dirname "$0")/.."
t0=$(date +%s%N)
[[ -d node_modules ]] || npm ci --no-audit --no-fund
bash deploy/stop.sh >/dev/null 2>&1 || true
bash deploy/infra.sh up
node -r @swc-node/register tools/platform/up.ts
echo "[start] total $(( ($(date +%s%N) - t0) / 1000000 )) ms from command to six healthy services"
