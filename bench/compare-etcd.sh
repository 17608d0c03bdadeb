#!/usr/bin/env bash
# The side-by-side with etcd in one sitting, written into docs/PERFORMANCE.md (between its "compare-etcd" markers).
#
#   bash bench/compare-etcd.sh                   # etcd 3-member (peers' script) + LockService (this tree), ~12 min
#   BASE_REF=24fbaa5 bash bench/compare-etcd.sh  # also "before": that commit built in a scratch copy, run the same way
#   MODE=groups bash bench/compare-etcd.sh       # LockService only: GROUPS=1,2,4 on 3 silos (uncontended C=64)
#   MODE=floor bash bench/compare-etcd.sh        # LockService only: the storage floor (LoadBench --storage-floor)
#
# Order in one sitting: etcd first (its script stops its cluster at the end), then LockService "before" (if asked),
# then "after"; never two benchmarks at once. Knobs pass through to both sides: DURATION WARMUP REPEATS CLIENTS
# SCENARIOS FAILOVER_ROUNDS (defaults as the peers': 10 s, 2 s, 2 runs, 1,8,64, both scenarios, 5 failover rounds for
# LockService, FAILOVER_ROUNDS for etcd likewise); PREWARM (LockService only, 30 s). STORAGE_PER_REPLICA=1 runs LockService with an Azurite per replica.
# Everything goes to OUT (default .data/compare/<stamp>); docs/PERFORMANCE.md gets the table, the environment
# (cores, load average before and after each side, storage durability on both sides) and the commands.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
MODE="${MODE:-compare}"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
OUT="${OUT:-$root/.data/compare/$stamp}"
mkdir -p "$OUT"
export DURATION="${DURATION:-10}" WARMUP="${WARMUP:-2}" REPEATS="${REPEATS:-2}" CLIENTS="${CLIENTS:-1,8,64}"
export SCENARIOS="${SCENARIOS:-contended,uncontended}" FAILOVER_ROUNDS="${FAILOVER_ROUNDS:-5}"
# LockService's unmeasured pre-warm: the silos' tiered JIT burns most of a core for their first ~50 s (etcd is compiled
# ahead of time), so with LoadBench's 2 s the first cells measured the JIT (docs/PERFORMANCE.md, "Where a commit's time goes").
export PREWARM="${PREWARM:-30}"

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
load() { cut -d' ' -f1-3 /proc/loadavg; }
env_line() { echo "$1: $(date -u +%FT%TZ) load average $(load)" >>"$OUT/env.txt"; }

{
  echo "host: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(uname -sr)"
  echo "dotnet: $(dotnet --version)"
  echo "commit: $(git rev-parse --short HEAD)$(git diff --quiet || echo ' (with local changes)')"
  echo "durability: etcd fsyncs every commit (default); LockService on Azurite (${AZURITE:-disk}), which does not fsync"
} >"$OUT/env.txt"

build_loadbench() {  # build_loadbench TREE
  log "building LoadBench in $1"
  dotnet build "$1/bench/LoadBench/LoadBench.csproj" -c Release -v quiet -clp:NoSummary >"$OUT/build-$(basename "$1").log" 2>&1 \
    || { cat "$OUT/build-$(basename "$1").log" >&2; exit 1; }
}

loadbench() {  # loadbench TREE NAME [extra env...]
  local tree=$1 name=$2; shift 2
  env_line "$name start"
  log "LockService ($name): $*"
  env "$@" OUT="$OUT/$name" dotnet "$tree/bench/LoadBench/bin/Release/net10.0/LockService.LoadBench.dll" 2>&1 | tee "$OUT/$name.txt" >&2 \
    || log "LoadBench $name exited non-zero (checker violations?): see $OUT/$name.txt"
  env_line "$name end"
}

# LoadBench reads these too: only the floor mode may set them.
[[ "$MODE" == floor ]] || unset STORAGE_FLOOR

case "$MODE" in
  floor)
    build_loadbench "$root"
    env_line "floor start"
    STORAGE_FLOOR="${STORAGE_FLOOR:-200}" OUT="$OUT/floor" dotnet bench/LoadBench/bin/Release/net10.0/LockService.LoadBench.dll
    env_line "floor end"
    python3 bench/perf_table.py floor --out "$OUT" --doc docs/PERFORMANCE.md
    ;;
  groups)
    build_loadbench "$root"
    for g in ${GROUP_COUNTS:-1 2 4}; do
      loadbench "$root" "groups-$g" GROUPS="$g" CLIENTS="${CLIENTS_GROUPS:-64}" SCENARIOS=uncontended FAILOVER_ROUNDS=0
    done
    python3 bench/perf_table.py groups --out "$OUT" --doc docs/PERFORMANCE.md
    ;;
  compare)
    env_line "etcd start"
    log "etcd (peers' script): $(command -v etcd || echo 'installs it')"
    before=$(ls -1 /tmp/peers/results 2>/dev/null | tail -1 || true)
    bash /work/shared/peers/run-etcd.sh 2>&1 | tee "$OUT/etcd.txt" >&2
    etcd_dir="/tmp/peers/results/$(ls -1 /tmp/peers/results | tail -1)"
    [[ "$(basename "$etcd_dir")" != "$before" ]] || { log "the etcd script wrote no new results"; exit 1; }
    ln -sfn "$etcd_dir" "$OUT/etcd"
    env_line "etcd end"

    if [[ -n "${BASE_REF:-}" ]]; then
      base="$OUT/base-src"
      rm -rf "$base"; mkdir -p "$base"
      git archive "$BASE_REF" | tar -x -C "$base"
      build_loadbench "$base"
      loadbench "$base" before COMPARE_ETCD="$etcd_dir/bench.jsonl" LABEL="before-$BASE_REF"
    fi

    build_loadbench "$root"
    loadbench "$root" after COMPARE_ETCD="$etcd_dir/bench.jsonl" STORAGE_PER_REPLICA="${STORAGE_PER_REPLICA:-0}"
    python3 bench/perf_table.py compare --out "$OUT" --doc docs/PERFORMANCE.md
    ;;
  *) echo "MODE must be compare, groups or floor" >&2; exit 2 ;;
esac
log "results in $OUT; docs/PERFORMANCE.md updated"
