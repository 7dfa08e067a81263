#!/bin/sh
# The images' entry point, run by tini (PID 1 forwards SIGTERM to node and reaps children). SERVICE is baked into
# each service's image (build arg). Commands:
#   serve (default)  start the service; with RUN_MIGRATIONS=true apply its migrations first (compose)
#   migrate          apply the service's migrations and exit (a Kubernetes Job; one at a time by a database lock)
#   ensure-topics    create the Kafka topic catalogue (libs/contracts) and its dead-letter topics, then exit
#   admin-create     (gateway image) create a platform admin or reset its password: `admin-create --email …`,
#                    password from ADMIN_PASSWORD or stdin (`-i`), e.g. `kubectl exec -i deploy/gateway -- …`
#   anything else    run as given, e.g. `node -e …`
set -eu
cd /app
service_js() { echo "dist/apps/${SERVICE}/src/$1.js"; }
case "${1:-serve}" in
  serve)
    if [ "${RUN_MIGRATIONS:-false}" = true ] && [ -f "$(service_js migrate)" ]; then node "$(service_js migrate)"; fi
    # The OpenTelemetry bootstrap is required first so it can patch http, mysql2 and ioredis as they load.
    exec node --enable-source-maps -r ./dist/libs/observability/src/instrument.js "$(service_js main)" ;;
  migrate) exec node "$(service_js migrate)" ;;
  ensure-topics) exec node dist/tools/infra/ensure-topics.js ;;
  admin-create)
    # every image carries all of dist/, but only the gateway's has the gateway's database settings
    [ "${SERVICE:-}" = gateway ] || { echo "admin-create runs in the gateway image (this is ${SERVICE:-unknown})" >&2; exit 2; }
    shift; exec node dist/apps/gateway/src/admin-create.js "$@" ;;
  *) exec "$@" ;;
esac
