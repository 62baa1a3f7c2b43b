#!/usr/bin/env bash
# Installs what AttnXai needs on Debian/Ubuntu when it is missing: libtorch (CPU), CMake, g++ and an optimized
# BLAS (OpenBLAS, so libtorch's matrix products never fall back to the ~20x slower reference BLAS).
# Sourced by ./test.sh and ./attnxai; safe to run repeatedly (does nothing when all is present).
set -euo pipefail

attnxai_packages=(libtorch-dev cmake g++ libopenblas0-pthread)

attnxai_missing_packages() {
  local missing=()
  for p in "${attnxai_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  echo "${missing[@]:-}"
}

attnxai_setup() {
  if ! command -v dotnet >/dev/null 2>&1; then
    echo "error: the .NET SDK (dotnet) is not on PATH; install .NET 10 first" >&2
    return 1
  fi
  if [ -n "${ATTNXAI_LIBTORCH:-}" ]; then
    # A user-supplied libtorch (e.g. a CUDA build): only the build tools are needed from apt.
    attnxai_packages=(cmake g++)
  fi
  if ! command -v dpkg-query >/dev/null 2>&1; then
    echo "note: not a Debian-like system; make sure libtorch, cmake, g++ and an optimized BLAS are installed" >&2
    return 0
  fi
  local missing
  missing=$(attnxai_missing_packages)
  [ -z "$missing" ] && return 0
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
      sudo="sudo"
    else
      echo "error: these packages are missing: $missing" >&2
      echo "       installing them needs root; run: sudo apt-get install -y --no-install-recommends $missing" >&2
      return 1
    fi
  fi
  echo "AttnXai set-up: installing $missing (once)..." >&2
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  # shellcheck disable=SC2086
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >&2
}

attnxai_setup
