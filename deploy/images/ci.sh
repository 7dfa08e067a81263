#!/usr/bin/env bash
# CI: builds the Node base and the six service images from deploy/docker/Dockerfile in one pass (buildah, no
# Docker engine), then starts each image's own entry point against the test infrastructure (MariaDB, Redis,
# Kafka of deploy/infra.sh) and waits for its /health/ready; prints each image's size and build time, stops them
# and removes the images; validates docker-compose.yml with docker-compose config. Called by .ci/run.
#   deploy/images/ci.sh
# Env: KAFKA_BROKERS, DB_HOST/DB_PORT, REDIS_HOST/REDIS_PORT/REDIS_DB (default: the local test infrastructure,
# started by deploy/infra.sh when none is given), IMAGES_KEEP=1 keeps the storage in $IMAGES_ROOT afterwards.
set -euo pipefail
cd "$(dirname "$0")/../.."
t0=$(date +%s)
SERVICES=(gateway voice-agent booking billing notification sync)
[[ -n ${KAFKA_BROKERS:-} ]] || bash deploy/infra.sh up
KAFKA_BROKERS=${KAFKA_BROKERS:-127.0.0.1:19092}
DB_HOST=${DB_HOST:-127.0.0.1}; DB_PORT=${DB_PORT:-3306}
REDIS_HOST=${REDIS_HOST:-127.0.0.1}; REDIS_PORT=${REDIS_PORT:-6379}; REDIS_DB=${REDIS_DB:-0}
log() { echo "[images] $*"; }

need=()
command -v buildah >/dev/null || need+=(buildah)
command -v mmdebstrap >/dev/null || need+=(mmdebstrap)
command -v docker-compose >/dev/null || need+=(docker-compose)
if ((${#need[@]})); then
  log "installing ${need[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" uidmap >/dev/null
fi

# The compose file as Compose itself reads it (Debian's docker-compose; no engine needed for `config`).
PLATFORM_ADMIN_PASSWORD=compose-config-check docker-compose -f docker-compose.yml config -q
# The demo: the simulators profile with its own env file (simulator URLs and keys; nowhere else).
docker-compose -f docker-compose.yml --env-file deploy/compose/simulators.env --profile simulators config -q
log "docker-compose.yml valid (docker-compose $(docker-compose version --short))"

# Storage of its own, removed at the end. The kernel's overlay file system when it can be mounted here (each
# layer stored once); otherwise vfs, which works anywhere but copies the whole tree for every layer.
IMAGES_ROOT=${IMAGES_ROOT:-$(mktemp -d /tmp/receptionist-images.XXXXXX)}
driver=vfs
probe="$IMAGES_ROOT/probe"; mkdir -p "$probe"/{l,u,w,m}
if mount -t overlay overlay -o "lowerdir=$probe/l,upperdir=$probe/u,workdir=$probe/w" "$probe/m" 2>/dev/null; then
  umount "$probe/m"; driver=overlay
fi
rm -rf "$probe"
export BUILDAH="buildah --root $IMAGES_ROOT/storage --runroot $IMAGES_ROOT/run --storage-driver $driver"
pids=()
run_tag="ci-images-$$"
# SIGTERM to each container's init (tini), which forwards it to node: the graceful shutdown a `docker stop` does.
# (Signalling `buildah run` itself would not reach them.) Containers are found by an env marker of this run.
stop_containers() {
  local pid
  for pid in $(grep -l -a "CI_IMAGES_RUN=$run_tag" /proc/[0-9]*/environ 2>/dev/null | cut -d/ -f3); do
    if [[ $(cat "/proc/$pid/comm" 2>/dev/null) == tini ]]; then kill -TERM "$pid" 2>/dev/null || true; fi
  done
  for _ in $(seq 1 30); do
    grep -q -l -a "CI_IMAGES_RUN=$run_tag" /proc/[0-9]*/environ 2>/dev/null || break
    sleep 1
  done
  for pid in $(grep -l -a "CI_IMAGES_RUN=$run_tag" /proc/[0-9]*/environ 2>/dev/null | cut -d/ -f3); do kill -KILL "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
cleanup() {
  stop_containers
  if [[ ${IMAGES_KEEP:-} != 1 ]]; then
    $BUILDAH rm --all >/dev/null 2>&1 || true
    # buildah leaves its storage's own mount behind; unmount whatever is still mounted below the root.
    awk -v r="$IMAGES_ROOT" 'index($2, r) == 1 {print $2}' /proc/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
    # A lazy unmount may finish a moment later.
    for _ in 1 2 3 4 5 6 7 8 9 10; do rm -rf "$IMAGES_ROOT" 2>/dev/null && break; sleep 1; done
    [[ ! -e $IMAGES_ROOT ]] || echo "[images] could not remove $IMAGES_ROOT" >&2
  fi
}
trap cleanup EXIT
log "buildah $(buildah --version | awk '{print $3}'), storage $driver in $IMAGES_ROOT"

s=$(date +%s)
BASE_IMAGE=localhost/receptionist-node:24 bash deploy/images/base.sh
log "base built in $(( $(date +%s) - s )) s"

revision=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
declare -A took
for svc in "${SERVICES[@]}"; do
  s=$(date +%s)
  # --layers: the shared stages are built by the first service and reused (cache) by the other five.
  $BUILDAH build --quiet --isolation chroot --layers --format docker \
    -f deploy/docker/Dockerfile --ignorefile deploy/docker/Dockerfile.dockerignore \
    --build-arg NODE_IMAGE=localhost/receptionist-node:24 --build-arg SERVICE="$svc" \
    --build-arg VERSION="$(node -p 'require("./package.json").version')" --build-arg REVISION="$revision" \
    --build-arg CREATED="$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
    -t "localhost/receptionist-$svc:ci" . >/dev/null
  took[$svc]=$(( $(date +%s) - s ))
done

# Runs the image's own ENTRYPOINT with a command (as `docker run IMAGE cmd` would) in a working container on the
# host's network, as the image's user.
entrypoint() { $BUILDAH inspect --type image "$1" | node -p 'JSON.parse(require("fs").readFileSync(0)).OCIv1.config.Entrypoint.join("\n")'; }
prefix="ci_images_$(date +%s)_$$"
free_port() { node -e 's=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
run_image() { # svc port command…
  local svc=$1 port=$2; shift 2
  local image="localhost/receptionist-$svc:ci" ctr
  mapfile -t ep < <(entrypoint "$image")
  ctr=$($BUILDAH from --quiet "$image")
  exec $BUILDAH run --isolation chroot --network host \
    --env PORT="$port" --env DB_DATABASE="${prefix}_${svc//-/_}" --env DB_HOST="$DB_HOST" --env DB_PORT="$DB_PORT" \
    --env DB_USERNAME="${DB_USERNAME:-root}" --env DB_PASSWORD="${DB_PASSWORD:-}" \
    --env KAFKA_BROKERS="$KAFKA_BROKERS" --env REDIS_HOST="$REDIS_HOST" --env REDIS_PORT="$REDIS_PORT" \
    --env REDIS_DB="$REDIS_DB" --env APP_KEY=ci-images-app-key-0123456789abcdef \
    --env SYNC_SECRETS_KEY="$(head -c 32 /dev/urandom | base64)" --env OTEL_SDK_DISABLED=true \
    --env LOG_LEVEL=warn --env CI_IMAGES_RUN="$run_tag" --env PLATFORM_ADMIN_EMAIL="$admin_email" --env PLATFORM_ADMIN_PASSWORD="$admin_password" \
    "${extra_env[@]}" "$ctr" -- "${ep[@]}" "$@"
}
extra_env=()
# The first platform admin, created by the gateway at start (as compose and k8s do): it must be able to log in.
admin_email="admin-$$@ci.example.com"; admin_password="ci-$(head -c 12 /dev/urandom | base64 | tr -d '/+=')"


declare -A ports
for svc in "${SERVICES[@]}"; do
  # Migrations first, the way the image documents it (`migrate`), then the service itself (`serve`).
  ( run_image "$svc" 0 migrate >/dev/null )
  ports[$svc]=$(free_port)
  run_image "$svc" "${ports[$svc]}" serve > "$IMAGES_ROOT/$svc.log" 2>&1 &
  pids+=($!)
done
failed=0
for svc in "${SERVICES[@]}"; do
  until curl -sf "http://127.0.0.1:${ports[$svc]}/health/ready" >/dev/null; do
    if (( $(date +%s) - t0 > ${IMAGES_READY_DEADLINE:-900} )); then
      log "$svc: not ready; its log:"; tail -40 "$IMAGES_ROOT/$svc.log"; failed=1; break
    fi
    sleep 1
  done
done

if [[ $failed == 0 ]]; then
  login=$(curl -s -o /dev/null -w '%{http_code}' -H 'content-type: application/json' \
    -d "{\"email\":\"$admin_email\",\"password\":\"$admin_password\"}" "http://127.0.0.1:${ports[gateway]}/api/v1/auth/login")
  if [[ $login == 200 ]]; then log "platform admin logged in on the gateway image"; else log "platform admin login: HTTP $login"; failed=1; fi
fi
if [[ $failed == 0 ]]; then
  # `receptionist admin-create` in the gateway image (password from the environment): a second admin who logs in.
  ops_email="ops-$$@ci.example.com"; ops_password="ci-ops-$(head -c 12 /dev/urandom | base64 | tr -d '/+=')"
  ( extra_env=(--env ADMIN_PASSWORD="$ops_password"); run_image gateway 0 admin-create --email "$ops_email" ) || failed=1
  login=$(curl -s -o /dev/null -w '%{http_code}' -H 'content-type: application/json' \
    -d "{\"email\":\"$ops_email\",\"password\":\"$ops_password\"}" "http://127.0.0.1:${ports[gateway]}/api/v1/auth/login")
  if [[ $failed == 0 && $login == 200 ]]; then log "admin-create: the new admin logged in"; else log "admin-create: failed (login HTTP $login)"; failed=1; fi
fi
printf '[images] %-14s %10s %8s  %s\n' image size build ready
for svc in "${SERVICES[@]}"; do
  size=$($BUILDAH images --format '{{.Size}}' "localhost/receptionist-$svc:ci")
  ready=$(curl -sf "http://127.0.0.1:${ports[$svc]}/health/ready" >/dev/null && echo ready || echo NOT-READY)
  printf '[images] %-14s %10s %7ss  %s\n' "receptionist-$svc" "$size" "${took[$svc]}" "$ready"
done
stop_containers
log "base + six images built, started and stopped in $(( $(date +%s) - t0 )) s"
# The databases the containers migrated.
for svc in "${SERVICES[@]}"; do
  node -e 'const m=require("mysql2/promise");m.createConnection({host:process.argv[1],port:+process.argv[2],user:process.env.DB_USERNAME||"root",password:process.env.DB_PASSWORD||""}).then(async c=>{await c.query("DROP DATABASE IF EXISTS `"+process.argv[3]+"`");await c.end()})' \
    "$DB_HOST" "$DB_PORT" "${prefix}_${svc//-/_}" || true
done
exit $failed
