#!/usr/bin/env bash
# Restarts a tally API on an empty store with the configuration Gnocchi's own
# gabbi suites assume (basic auth, max_limit 7, no default archive policies,
# CORS origin http://foobar.com, proxy headers honoured).
# For running a gabbi file by hand against it:
#   test/gabbi/tally-reset.sh && /usr/bin/python3 test/gabbi/gabbi_run.py http://127.0.0.1:18041 -- FILE.yaml
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
port=${TALLY_GABBI_PORT:-18041}
dir=${TALLY_GABBI_DIR:-/tmp/tally-gabbi}
if [ -f "$dir.pid" ]; then
  kill "$(cat "$dir.pid")" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$(cat "$dir.pid")" 2>/dev/null || break; sleep 0.1; done
fi
rm -rf "$dir"
TALLY_AUTH_MODE=basic TALLY_MAX_LIMIT=7 TALLY_CREATE_DEFAULT_ARCHIVE_POLICIES=false TALLY_LOG_LEVEL=warn \
  TALLY_CORS_ALLOWED_ORIGIN=http://foobar.com TALLY_ENABLE_PROXY_HEADERS_PARSING=true \
  nohup node "$here/bin/tally.js" api --port "$port" --data-dir "$dir" > "$dir.log" 2>&1 &
echo $! > "$dir.pid"
for _ in $(seq 1200); do
  curl -sf -o /dev/null "http://127.0.0.1:$port/" && exit 0
  sleep 0.1
done
echo "tally did not start; see $dir.log" >&2
exit 1
