#!/usr/bin/env bash
# Starts a working local lock service: Azurite (installed through npm and started unless one already answers
# on the standard ports), then SILOS silo processes (default 3; 5 works too) clustered through Azure Table storage
# on loopback. Each silo runs under a supervisor that restarts it, with a back-off, whenever it exits (a crash, a
# kill -9, or a silo paused past its death declaration that learns it was declared dead), and says so.
# Prints the dashboard URLs and gateway addresses; Ctrl+C stops everything this script started.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
silos="${SILOS:-3}"
data="$root/.data"
mkdir -p "$data/logs"

azurite_pid=""
supervisor_pids=()
cleanup() {
  # A second Ctrl+C (or a TERM from a wrapper that forwards its own) must not cut the clean-up short and orphan
  # Azurite or a silo: ignore both until everything is stopped.
  trap '' INT TERM
  trap - EXIT
  [[ -n "${sleeper:-}" ]] && kill "$sleeper" 2>/dev/null || true
  echo; echo "Stopping..."
  for pid in "${supervisor_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${supervisor_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
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

# TLS=1: a development CA and one certificate it issued, shared by the silos and by clients (generated once into
# .data/tls; delete the directory for new ones). Clients must show it too (LockService:Tls:ClientCertificates=Required).
if [[ "${TLS:-0}" == "1" ]]; then
  tls="$data/tls"
  if [[ ! -f "$tls/node.pfx" ]]; then
    echo "Generating development TLS certificates in .data/tls..."
    mkdir -p "$tls"
    openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=LockService dev CA" \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
      -keyout "$tls/ca.key" -out "$tls/ca.cer" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout "$tls/node.key" -out "$tls/node.csr" 2>/dev/null
    printf 'basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n' >"$tls/node.ext"
    openssl x509 -req -in "$tls/node.csr" -CA "$tls/ca.cer" -CAkey "$tls/ca.key" -CAcreateserial -days 29 \
      -extfile "$tls/node.ext" -out "$tls/node.cer" 2>/dev/null
    openssl pkcs12 -export -inkey "$tls/node.key" -in "$tls/node.cer" -out "$tls/node.pfx" -passout pass: 2>/dev/null
    chmod 600 "$tls"/*.key "$tls/node.pfx"
  fi
  export LockService__Tls__Enabled=true LockService__Tls__ClientCertificates=Required \
    LockService__Tls__CertificatePath="$tls/node.pfx" LockService__Tls__TrustedCertificatePath="$tls/ca.cer"
  echo "TLS on: certificate .data/tls/node.pfx (no password), trusted root .data/tls/ca.cer; clients need both."
fi

echo "Building the silo..."
dotnet build Silo/Silo.csproj -c Release -v quiet -nologo -clp:NoSummary >"$data/logs/build.log" 2>&1 \
  || { cat "$data/logs/build.log"; exit 1; }

# Runs silo $1 until told to stop (SIGTERM), restarting it whenever it exits: after 1 s, doubling up to 30 s
# while it keeps failing within 30 s of its start, back to 1 s once it has run longer. Its PID is in .data/silo-N.pid.
supervise() {
  local i=$1 backoff=1 pid="" code started logged reason
  trap '[[ -n "$pid" ]] && kill "$pid" 2>/dev/null; [[ -n "$pid" ]] && wait "$pid" 2>/dev/null; exit 0' TERM
  while true; do
    started=$SECONDS
    logged=$(stat -c %s "$data/logs/silo-$i.log" 2>/dev/null || echo 0)
    LockService__SiloPort=$((11111 + i)) LockService__GatewayPort=$((30000 + i)) LockService__HttpPort=$((8080 + i)) \
      dotnet "Silo/bin/Release/net10.0/LockService.Silo.dll" --contentRoot "$root/Silo" >>"$data/logs/silo-$i.log" 2>&1 &
    pid=$!
    echo "$pid" >"$data/silo-$i.pid"
    code=0
    { wait "$pid"; } 2>/dev/null || code=$?   # the braces silence bash's own "Killed" job report
    if (( SECONDS - started >= 30 )); then backoff=1; fi
    if (( code > 128 )); then why="killed by signal $((code - 128))"; else why="exit code $code"; fi
    echo "[$(date +%H:%M:%S)] silo $i (pid $pid) exited ($why); restarting it in ${backoff} s. Log: .data/logs/silo-$i.log"
    # A start-up failure (bad settings, a topology other than the one the cluster was created with) says why here,
    # not only in the log.
    reason=$(tail -c +"$((logged + 1))" "$data/logs/silo-$i.log" | grep -m1 "^Unhandled exception\." || true)
    [[ -n "$reason" ]] && echo "           ${reason:0:600}"
    pid=""
    sleep "$backoff" & wait $! || true
    backoff=$(( backoff * 2 > 30 ? 30 : backoff * 2 ))
  done
}

for ((i = 0; i < silos; i++)); do
  : >"$data/logs/silo-$i.log"
  supervise "$i" &
  supervisor_pids+=($!)
done

# A busy machine can take a minute or more to start several silos at once.
for ((i = 0; i < silos; i++)); do
  for _ in $(seq 1 1800); do
    curl -sf -o /dev/null "http://127.0.0.1:$((8080 + i))/healthz" && break
    sleep 0.1
  done
  curl -sf -o /dev/null "http://127.0.0.1:$((8080 + i))/healthz" \
    || { echo "silo $i did not start within 3 minutes; see .data/logs/silo-$i.log"; tail -20 "$data/logs/silo-$i.log"; exit 1; }
done

echo
echo "LockService is running with $silos silos (logs in .data/logs/)."
for ((i = 0; i < silos; i++)); do
  echo "  silo $i: dashboard http://127.0.0.1:$((8080 + i))/dashboard  leases http://127.0.0.1:$((8080 + i))/leases  gateway 127.0.0.1:$((30000 + i))  pid $(cat "$data/silo-$i.pid")"
done
if [[ "${TLS:-0}" == "1" ]]; then
  echo "TLS: clients (samples/LockSample, lockctl, your app binding LockClient:Tls) need the CA and a certificate; in their shell:"
  echo "  export LockClient__Tls__Enabled=true LockClient__Tls__TrustedCertificatePath=$tls/ca.cer LockClient__Tls__CertificatePath=$tls/node.pfx"
fi
echo "Kill any silo (kill -9 \$(cat .data/silo-N.pid)): the others carry on, and it is restarted. Press Ctrl+C to stop everything."
# Keep running until Ctrl+C; the supervisors restart silos that exit.
sleep infinity &
sleeper=$!
wait "$sleeper" || true
