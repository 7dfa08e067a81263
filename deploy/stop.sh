#!/usr/bin/env bash
# Stops what deploy/start.sh started: SIGTERM to all (graceful: stop consuming, finish, flush the outbox),
# then waits up to 15 s; with --all also stops the Kafka broker.
set -uo pipefail
cd "$(dirname "$0")/.."
declare -A pids=()
for f in .run/pids/*.pid; do
  [[ -f "$f" ]] || continue
  pid="$(cat "$f")"; name="$(basename "$f" .pid)"; rm -f "$f"
  kill -0 "$pid" 2>/dev/null || continue
  kill -TERM "$pid"; pids[$name]=$pid
done
for name in "${!pids[@]}"; do
  pid=${pids[$name]}
  for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then echo "[stop] $name did not stop in 15 s; killing"; kill -KILL "$pid"; else echo "[stop] $name stopped"; fi
done
if [[ "${1:-}" == "--all" ]]; then bash deploy/kafka/kafka.sh stop; fi
