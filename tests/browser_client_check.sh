#!/usr/bin/env bash
# The browser client (client/) in headless Chromium against the daemon and a real redis-server:
# its node --test suite, run from a copy in the build tree (a source tree keeps no
# node_modules) with the packages of client/package-lock.json installed by `npm ci`, once per
# lock file. Exit 77 (skipped, saying why) without node, npm or chromium, or when npm cannot
# reach its registry; scripts/test installs all three.
# Usage: browser_client_check.sh <source dir> <work dir> <sse-server binary> <redis-server binary>
set -euo pipefail
source_dir=$1 work_dir=$2 daemon=$3 redis=$4

for tool in node npm; do
    command -v "$tool" >/dev/null 2>&1 || { echo "skipped: $tool is not installed"; exit 77; }
done
chromium=${CHROMIUM_BINARY:-$(command -v chromium || true)}
[ -n "$chromium" ] || { echo "skipped: chromium is not installed"; exit 77; }

copy=$work_dir/browser-client
mkdir -p "$copy"
tar -C "$source_dir/client" --exclude=node_modules -cf - . | tar -C "$copy" -xf -

stamp=$work_dir/browser-client-installed-package-lock.json
if [ ! -d "$copy/node_modules" ] || ! cmp -s "$copy/package-lock.json" "$stamp"; then
    if ! (cd "$copy" && timeout 120 npm ci --no-audit --no-fund --prefer-offline); then
        if ! timeout 30 npm ping >/dev/null 2>&1; then
            echo "skipped: npm cannot reach its registry to install puppeteer-core"
            exit 77
        fi
        echo "npm ci failed although the registry answers" >&2
        exit 1
    fi
    cp "$copy/package-lock.json" "$stamp"
fi

cd "$copy"
SSE_SERVER_BINARY=$daemon REDIS_SERVER_BINARY=$redis CHROMIUM_BINARY=$chromium \
    exec node --test --test-reporter=spec test/*.test.mjs
