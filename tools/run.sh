#!/usr/bin/env bash
# Starts a working local lock service: Azurite (installed through npm and started unless one already answers
# on the standard ports), then SILOS silo processes (default 3) clustered through Azure Table storage on
# loopback. Prints the dashboard URLs and gateway addresses; Ctrl+C stops everything this script started.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
silos="${SILOS:-3}"
data="$root/.data"
mkdir -p "$data/logs"

azurite_pid=""
silo_pids=()
cleanup() {
  trap - INT TERM EXIT
  [[ -n "${sleeper:-}" ]] && kill "$sleeper" 2>/dev/null || true
  echo; echo "Stopping..."
  for pid in "${silo_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${silo_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [[ -n "$azurite_pid" ]]; then bash tools/azurite/azurite.sh stop "$azurite_pid"; fi
  echo "Stopped."
}
trap cleanup INT TERM EXIT

if bash tools/azurite/azurite.sh probe 10000 10002; then
  echo "Using the Azurite already answering on 127.0.0.1:10000 (blob) and :10002 (table)."
else
  echo "Starting Azurite on 127.0.0.1:10000-10002 (data in .data/azurite)..."
  azurite_pid=$(bash tools/azurite/azurite.sh start "$data/azurite" 10000 10001 10002)
fi

echo "Building the silo..."
dotnet build Silo/Silo.csproj -c Release -v quiet -nologo -clp:NoSummary >"$data/logs/build.log" 2>&1 \
  || { cat "$data/logs/build.log"; exit 1; }

for ((i = 0; i < silos; i++)); do
  LockService__SiloPort=$((11111 + i)) LockService__GatewayPort=$((30000 + i)) LockService__HttpPort=$((8080 + i)) \
    dotnet "Silo/bin/Release/net10.0/LockService.Silo.dll" --contentRoot "$root/Silo" >"$data/logs/silo-$i.log" 2>&1 &
  silo_pids+=($!)
done

for ((i = 0; i < silos; i++)); do
  for _ in $(seq 1 600); do
    curl -sf -o /dev/null "http://127.0.0.1:$((8080 + i))/healthz" && break
    kill -0 "${silo_pids[$i]}" 2>/dev/null || { echo "silo $i exited; see .data/logs/silo-$i.log"; tail -20 "$data/logs/silo-$i.log"; exit 1; }
    sleep 0.1
  done
done

echo
echo "LockService is running with $silos silos (logs in .data/logs/)."
for ((i = 0; i < silos; i++)); do
  echo "  silo $i: dashboard http://127.0.0.1:$((8080 + i))/dashboard  leases http://127.0.0.1:$((8080 + i))/leases  gateway 127.0.0.1:$((30000 + i))  pid ${silo_pids[$i]}"
done
echo "Kill any silo (kill -9 PID) and the others carry on. Press Ctrl+C to stop everything."
# Keep running while any silo does; a killed silo leaves the others serving.
sleep infinity &
sleeper=$!
wait "$sleeper" || true
