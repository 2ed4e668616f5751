#!/usr/bin/env bash
# npm run bench:loadtest: installs the side-by-side tools (Debian packages), builds, and runs bench/loadtest/run.ts.
set -euo pipefail
cd "$(dirname "$0")/../.."
need=()
command -v h2load >/dev/null || need+=(nghttp2-client)
command -v locust >/dev/null || need+=(python3-locust)
/usr/bin/python3 -c 'import grpc' 2>/dev/null || need+=(python3-grpcio)
command -v taskset >/dev/null || need+=(util-linux)
[ -x /usr/bin/time ] || need+=(time)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"
fi
npm run build
exec node dist/bench/loadtest/run.js
