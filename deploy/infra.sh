#!/usr/bin/env bash
# Local infrastructure: MariaDB/MySQL and Redis from the environment (started if installed but down), the
# Kafka broker assembled from Maven Central (deploy/kafka/kafka.sh), and the topic catalogue.
#   deploy/infra.sh up     idempotent
#   deploy/infra.sh down   stops the Kafka broker (the system's MariaDB and Redis are left alone)
set -euo pipefail
cd "$(dirname "$0")/.."
DB_HOST="${DB_HOST:-127.0.0.1}"; DB_PORT="${DB_PORT:-3306}"
REDIS_HOST="${REDIS_HOST:-127.0.0.1}"; REDIS_PORT="${REDIS_PORT:-6379}"
export KAFKA_BROKERS="${KAFKA_BROKERS:-127.0.0.1:19092}"

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }
wait_port() { for _ in $(seq 1 100); do port_open "$1" "$2" && return 0; sleep 0.2; done; return 1; }

ensure_mariadb() {
  port_open "$DB_HOST" "$DB_PORT" && return 0
  if [[ "$DB_HOST" == 127.0.0.1 || "$DB_HOST" == localhost ]] && command -v mariadbd >/dev/null; then
    echo "[infra] starting MariaDB"
    start-stop-daemon --start --oknodo --background --exec "$(command -v mariadbd)" || mysqld_safe >/dev/null 2>&1 &
    wait_port "$DB_HOST" "$DB_PORT" || { echo "[infra] MariaDB did not come up on $DB_HOST:$DB_PORT" >&2; exit 1; }
  else
    echo "[infra] MariaDB/MySQL not reachable at $DB_HOST:$DB_PORT and not installed here" >&2; exit 1
  fi
}

ensure_redis() {
  port_open "$REDIS_HOST" "$REDIS_PORT" && return 0
  if [[ "$REDIS_HOST" == 127.0.0.1 || "$REDIS_HOST" == localhost ]] && command -v redis-server >/dev/null; then
    echo "[infra] starting Redis"
    redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no >/dev/null
    wait_port "$REDIS_HOST" "$REDIS_PORT" || { echo "[infra] Redis did not come up" >&2; exit 1; }
  else
    echo "[infra] Redis not reachable at $REDIS_HOST:$REDIS_PORT and not installed here" >&2; exit 1
  fi
}

case "${1:-up}" in
  up)
    ensure_mariadb
    ensure_redis
    if [[ "$KAFKA_BROKERS" == 127.0.0.1:* ]]; then KAFKA_PORT="${KAFKA_BROKERS#127.0.0.1:}" bash deploy/kafka/kafka.sh start; fi
    node -r @swc-node/register tools/infra/ensure-topics.ts
    echo "[infra] MariaDB $DB_HOST:$DB_PORT, Redis $REDIS_HOST:$REDIS_PORT, Kafka $KAFKA_BROKERS: up"
    ;;
  down) bash deploy/kafka/kafka.sh stop ;;
  *) echo "usage: $0 up|down" >&2; exit 2 ;;
esac
