#!/usr/bin/env bash
# Mutation proofs: applies each injected bug in tools/mutants/*.patch in turn (never committed), rebuilds, runs the
# sweep(s) its header names, reverts it, and prints one row per mutant and sweep: seeds failing / seeds run and the
# first failing seed. Every mutant must be caught (exit 1 otherwise). docs/SIMULATION.md lists the mutants.
#
#   bash tools/mutants.sh                          # every mutant, 2,000 seeds per sweep
#   MUTANT_SEEDS=500 bash tools/mutants.sh         # fewer seeds
#   MUTANTS="torn-write-not-repaired" bash tools/mutants.sh
#
# Patch header (first line): "# sweep: raft|lease|raft,lease | what the bug is | what catches it".
set -euo pipefail
cd "$(dirname "$0")/.."
seeds=${MUTANT_SEEDS:-2000}
if ! git diff --quiet -- Grains; then
  echo "mutants.sh: uncommitted changes under Grains/; commit or stash them first (patches are applied to the tree)" >&2
  exit 2
fi

applied=""
revert() { if [[ -n "$applied" ]]; then git apply -R "$applied"; applied=""; fi; }
trap revert EXIT INT TERM

build() {
  dotnet build tests/Raft.Tests/Raft.Tests.csproj -c Release -v quiet >/tmp/mutants-build.log 2>&1 &&
  dotnet build tests/Leases.Tests/Leases.Tests.csproj -c Release -v quiet >>/tmp/mutants-build.log 2>&1 ||
  { echo "mutants.sh: build failed (see /tmp/mutants-build.log)" >&2; return 1; }
}

# Runs one sweep on the current build; prints "failed run first".
sweep() {
  local out
  case "$1" in
    raft) out=$(RAFT_SIM_SEEDS=$seeds tests/Raft.Tests/bin/Release/net10.0/LockService.Raft.Tests -method '*Sweep*' -showLiveOutput 2>&1 || true) ;;
    lease) out=$(LEASE_SIM_SEEDS=$seeds tests/Leases.Tests/bin/Release/net10.0/LockService.Leases.Tests -method '*Sweep*' -showLiveOutput 2>&1 || true) ;;
  esac
  local line
  line=$(grep -o 'sweep result: [0-9]* of [0-9]* failed, first [0-9-]*' <<<"$out" | head -1)
  if [[ -z "$line" ]]; then
    # The run itself broke (a crash of the test host counts as caught only if it says so).
    echo "? $seeds ?"
    return
  fi
  read -r _ _ failed _ run _ _ first <<<"$line"
  echo "$failed $run $first"
}

selected=${MUTANTS:-$(ls tools/mutants/*.patch | xargs -n1 basename | sed 's/\.patch$//')}
printf '%-28s %-6s %-22s %-18s %s\n' "mutant" "sweep" "seeds failing / run" "first failing seed" "bug"
uncaught=0
for name in $selected; do
  patch="tools/mutants/$name.patch"
  header=$(head -1 "$patch")
  sweeps=$(sed -E 's/^# sweep: ([a-z,]+) \|.*/\1/' <<<"$header" | tr ',' ' ')
  what=$(cut -d'|' -f2 <<<"$header" | sed 's/^ *//; s/ *$//')
  git apply "$patch"
  applied="$patch"
  build
  for s in $sweeps; do
    read -r failed run first <<<"$(sweep "$s")"
    printf '%-28s %-6s %-22s %-18s %s\n' "$name" "$s" "$failed / $run" "$first" "$what"
    if [[ "$failed" == "0" || "$failed" == "?" ]]; then uncaught=$((uncaught + 1)); fi
  done
  revert
done
build
if (( uncaught > 0 )); then
  echo "mutants.sh: $uncaught mutant/sweep rows not caught" >&2
  exit 1
fi
echo "every mutant caught"
