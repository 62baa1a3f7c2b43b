#!/usr/bin/env bash
# Builds everything and runs every test. Needs only the .NET 10 SDK (TorchSharp and libtorch come from NuGet).
# Ends with the test runner's summary per test assembly and one total line.
set -euo pipefail
cd "$(dirname "$0")"
source scripts/setup.sh
dotnet build AttnXai.slnx -c Release -v quiet -nologo
log=$(mktemp)
status=0
dotnet test AttnXai.slnx -c Release --no-build -nologo 2>&1 | tee "$log" || status=$?
# One total over all test assemblies, in the plain "N passed, N failed" form.
awk '/(Passed|Failed)!  *- *Failed:/ {
       for (i = 1; i <= NF; i++) { gsub(",", "", $(i+1));
         if ($i == "Failed:") f += $(i+1); if ($i == "Passed:") p += $(i+1); if ($i == "Skipped:") s += $(i+1) } }
     END { printf "Total: %d passed, %d failed, %d skipped\n", p, f, s }' "$log"
rm -f "$log"
exit $status
