#!/usr/bin/env bash
# Installs, starts and stops the pinned Azurite storage emulator.
#   azurite.sh install                      npm ci, only when node_modules is missing or stale
#   azurite.sh start DIR BLOB QUEUE TABLE   start on 127.0.0.1 with data under DIR ("memory" = in-memory),
#                                           wait until blob and table answer, print the PID
#   azurite.sh stop PID                     stop the Azurite started with that PID (and only it)
#   azurite.sh probe BLOB TABLE             exit 0 when an Azurite already answers on those ports
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

install() {
  if [[ ! -x "$here/node_modules/.bin/azurite" || "$here/package-lock.json" -nt "$here/node_modules/.package-lock.json" ]]; then
    (cd "$here" && npm ci --no-audit --no-fund --loglevel=error >&2)
  fi
}

answers() { # port path
  # Azurite answers any request on a live endpoint, even an unauthenticated one (with 400/403).
  local code
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://127.0.0.1:$1/$2" || true)
  [[ "$code" != "000" && -n "$code" ]]
}

start() {
  local dir="$1" blob="$2" queue="$3" table="$4"
  install
  local storage=(--inMemoryPersistence --extentMemoryLimit 256)
  local log=/dev/null
  if [[ "$dir" != "memory" ]]; then
    mkdir -p "$dir"
    storage=(--location "$dir")
    log="$dir/azurite.log"
  fi
  # setsid: a Ctrl+C in the caller's terminal is handled by the caller, which stops us by PID.
  setsid "$here/node_modules/.bin/azurite" --silent --disableTelemetry --skipApiVersionCheck --loose \
    --blobHost 127.0.0.1 --blobPort "$blob" --queueHost 127.0.0.1 --queuePort "$queue" \
    --tableHost 127.0.0.1 --tablePort "$table" "${storage[@]}" >"$log" 2>&1 </dev/null &
  local pid=$!
  for _ in $(seq 1 300); do
    if ! kill -0 "$pid" 2>/dev/null; then echo "azurite exited during start-up (ports $blob/$queue/$table busy?)" >&2; exit 1; fi
    if answers "$blob" devstoreaccount1 && answers "$table" devstoreaccount1; then echo "$pid"; return 0; fi
    sleep 0.1
  done
  kill "$pid" 2>/dev/null || true
  echo "azurite did not answer on ports $blob/$table within 30 s" >&2
  exit 1
}

stop() {
  local pid="$1"
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
}

case "${1:-}" in
  install) install ;;
  start) shift; start "$@" ;;
  stop) shift; stop "$@" ;;
  probe) shift; answers "$1" devstoreaccount1 && answers "$2" devstoreaccount1 ;;
  *) echo "usage: azurite.sh install | start DIR BLOB QUEUE TABLE | stop PID | probe BLOB TABLE" >&2; exit 2 ;;
esac
