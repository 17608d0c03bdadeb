#!/usr/bin/env bash
# Runs every test: installs Azurite (npm) if needed, starts a private in-memory Azurite on free ports,
# builds and runs all test projects, stops Azurite, and ends with "tests: N passed, N failed, N skipped".
# Extra arguments go to `dotnet test` (for example: --filter-class "*Raft*").
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

bash tools/azurite/azurite.sh install || { echo "tests: 0 passed, 1 failed, 0 skipped"; exit 1; }

blob=$(bash tools/free-port.sh); queue=$(bash tools/free-port.sh); table=$(bash tools/free-port.sh)
azurite_pid=$(bash tools/azurite/azurite.sh start memory "$blob" "$queue" "$table") \
  || { echo "tests: 0 passed, 1 failed, 0 skipped"; exit 1; }
trap 'bash tools/azurite/azurite.sh stop "$azurite_pid"' EXIT
key="Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
export LOCKSERVICE_TEST_STORAGE="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=$key;BlobEndpoint=http://127.0.0.1:$blob/devstoreaccount1;QueueEndpoint=http://127.0.0.1:$queue/devstoreaccount1;TableEndpoint=http://127.0.0.1:$table/devstoreaccount1;"
echo "Azurite for tests on 127.0.0.1 ports blob=$blob queue=$queue table=$table (pid $azurite_pid)"

log=$(mktemp)
# One test module at a time: the integration and chaos modules each run silo processes, and on 2 cores together they
# starve each other's lease keepalives.
dotnet test --solution LockService.sln -c Release --max-parallel-test-modules 1 "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

# Totals from the Microsoft.Testing.Platform summary; a build failure counts as one failure.
passed=$(grep -E '^\s+succeeded: [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+' || true)
failed=$(grep -E '^\s+failed: [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+' || true)
skipped=$(grep -E '^\s+skipped: [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+' || true)
rm -f "$log"
passed=${passed:-0}; failed=${failed:-0}; skipped=${skipped:-0}
if [[ $status -ne 0 && $failed -eq 0 ]]; then failed=1; fi
echo "tests: $passed passed, $failed failed, $skipped skipped"
exit $status
