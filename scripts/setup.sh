#!/usr/bin/env bash
# The set-up ./test.sh and ./attnxai share: AttnXai needs only the .NET 10 SDK. TorchSharp and libtorch come from
# NuGet on the first build (about 1 GB download and restore, once per machine); nothing is installed system-wide.
# Sourced; safe to run repeatedly.
set -euo pipefail

attnxai_setup() {
  if ! command -v dotnet >/dev/null 2>&1; then
    echo "error: the .NET SDK (dotnet) is not on PATH; install the .NET 10 SDK first (https://dot.net)" >&2
    return 1
  fi
  export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
}

attnxai_setup
