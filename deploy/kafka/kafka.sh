#!/usr/bin/env bash
# Local Apache Kafka broker (KRaft, one combined broker/controller on 127.0.0.1), assembled from the official
# artifacts on Maven Central. No Docker needed.
#
#   deploy/kafka/kafka.sh install   fetch org.apache.kafka:kafka_2.13 + runtime deps into the cache (once)
#   deploy/kafka/kafka.sh start     install if needed, format storage once, start, wait until it answers
#   deploy/kafka/kafka.sh stop      SIGTERM and wait for a clean shutdown
#   deploy/kafka/kafka.sh status    exit 0 when the broker answers on its port
#   deploy/kafka/kafka.sh reset     stop and delete the data directory (fresh cluster)
#
# Every command is idempotent. Environment:
#   KAFKA_VERSION   (default 4.1.1; see docs/architecture.md for why 4.x works with kafkajs)
#   KAFKA_CACHE_DIR (default ~/.cache/ai-receptionist/kafka) jars, outside git
#   KAFKA_RUN_DIR   (default ~/.cache/ai-receptionist/kafka-run) data, logs, pid
#   KAFKA_PORT      (default 19092; controller listens on KAFKA_PORT+1)
#   KAFKA_HEAP      (default 512m)
set -euo pipefail

KAFKA_VERSION="${KAFKA_VERSION:-4.1.1}"
LOG4J_VERSION="${LOG4J_VERSION:-2.24.3}"   # Kafka 4.1.x's own versions.log4j2
SLF4J_VERSION="1.7.36"                     # Kafka 4.x stays on SLF4J 1.x
CACHE_ROOT="${KAFKA_CACHE_DIR:-$HOME/.cache/ai-receptionist/kafka}"
LIB_DIR="$CACHE_ROOT/$KAFKA_VERSION/lib"
RUN_DIR="${KAFKA_RUN_DIR:-$HOME/.cache/ai-receptionist/kafka-run}"
PORT="${KAFKA_PORT:-19092}"
CONTROLLER_PORT="$((PORT + 1))"
HEAP="${KAFKA_HEAP:-512m}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PID_FILE="$RUN_DIR/kafka.pid"
LOG_FILE="$RUN_DIR/logs/server.out"

log() { printf '[kafka] %s\n' "$*" >&2; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

running_pid() {
  [[ -f "$PID_FILE" ]] || return 1
  local pid; pid="$(cat "$PID_FILE")"
  kill -0 "$pid" 2>/dev/null && echo "$pid"
}

install() {
  if [[ -f "$LIB_DIR/.complete" ]]; then return 0; fi
  command -v mvn >/dev/null || { log "Maven (mvn) is required to assemble the broker"; exit 1; }
  command -v java >/dev/null || { log "Java 17+ is required to run the broker"; exit 1; }
  log "assembling Kafka $KAFKA_VERSION from Maven Central into $LIB_DIR"
  local work; work="$(mktemp -d)"
  # The published POM leaves the SLF4J binding out (it only ships in the tarball), so add log4j-slf4j-impl,
  # or the broker drops every log line, fatal ones included.
  sed -e "s/@KAFKA_VERSION@/$KAFKA_VERSION/" -e "s/@LOG4J_VERSION@/$LOG4J_VERSION/" \
      -e "s/@SLF4J_VERSION@/$SLF4J_VERSION/" "$HERE/pom.xml.in" > "$work/pom.xml"
  rm -rf "$LIB_DIR.tmp"; mkdir -p "$LIB_DIR.tmp"
  (cd "$work" && mvn -q -B dependency:copy-dependencies -DoutputDirectory="$LIB_DIR.tmp" -DincludeScope=runtime)
  rm -rf "$LIB_DIR"; mv "$LIB_DIR.tmp" "$LIB_DIR"; rm -rf "$work"
  touch "$LIB_DIR/.complete"
  log "installed $(ls "$LIB_DIR" | wc -l) jars"
}

write_config() {
  mkdir -p "$RUN_DIR/data" "$RUN_DIR/logs"
  sed -e "s#@PORT@#$PORT#g" -e "s#@CONTROLLER_PORT@#$CONTROLLER_PORT#g" -e "s#@DATA_DIR@#$RUN_DIR/data#g" \
      "$HERE/server.properties.in" > "$RUN_DIR/server.properties"
}

java_opts=(-Xms"$HEAP" -Xmx"$HEAP" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35
  -XX:+ExplicitGCInvokesConcurrent -XX:TieredStopAtLevel=1 -Xshare:auto -Djava.awt.headless=true)

format_once() {
  if [[ -f "$RUN_DIR/data/meta.properties" ]]; then return 0; fi
  local id; id="$(java -cp "$LIB_DIR/*" kafka.tools.StorageTool random-uuid)"
  log "formatting KRaft storage (cluster id $id)"
  java -Xmx256m -cp "$LIB_DIR/*" -Dlog4j2.configurationFile="$HERE/log4j2.properties" \
    kafka.tools.StorageTool format -t "$id" -c "$RUN_DIR/server.properties" >/dev/null
}

start() {
  if running_pid >/dev/null && port_open "$PORT"; then log "already running on 127.0.0.1:$PORT"; return 0; fi
  install
  write_config
  format_once
  local t0; t0="$(date +%s%N)"
  : > "$LOG_FILE"
  # setsid: the broker must outlive the shell that started it (CI steps, npm scripts).
  setsid java "${java_opts[@]}" -Dkafka.logs.dir="$RUN_DIR/logs" \
    -Dlog4j2.configurationFile="$HERE/log4j2.properties" \
    -cp "$LIB_DIR/*" kafka.Kafka "$RUN_DIR/server.properties" >>"$LOG_FILE" 2>&1 < /dev/null &
  echo $! > "$PID_FILE"
  local deadline=$((SECONDS + ${KAFKA_START_TIMEOUT:-90}))
  until grep -q "Kafka Server started" "$LOG_FILE" 2>/dev/null && port_open "$PORT"; do
    if ! running_pid >/dev/null; then log "broker exited during start-up:"; tail -n 30 "$LOG_FILE" >&2; exit 1; fi
    if (( SECONDS > deadline )); then log "broker did not start in time:"; tail -n 30 "$LOG_FILE" >&2; exit 1; fi
    sleep 0.2
  done
  log "started on 127.0.0.1:$PORT in $(( ($(date +%s%N) - t0) / 1000000 )) ms (pid $(cat "$PID_FILE"))"
}

stop() {
  local pid
  if ! pid="$(running_pid)"; then log "not running"; rm -f "$PID_FILE"; return 0; fi
  kill -TERM "$pid"
  for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then log "forcing stop"; kill -KILL "$pid"; fi
  rm -f "$PID_FILE"
  log "stopped"
}

status() {
  if port_open "$PORT"; then log "answering on 127.0.0.1:$PORT"; return 0; fi
  log "not answering on 127.0.0.1:$PORT"; return 1
}

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) stop ;;
  status) status ;;
  reset) stop; rm -rf "$RUN_DIR"; log "data removed" ;;
  *) echo "usage: $0 install|start|stop|status|reset" >&2; exit 2 ;;
esac
