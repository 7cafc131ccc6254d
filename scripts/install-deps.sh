#!/usr/bin/env bash
# Installs what building and testing need, only where it is missing:
# the system libraries (Debian packages) and the Python packages the test references use.
set -euo pipefail

packages=(zlib1g-dev libhdf5-dev libprotobuf-c-dev protobuf-c-compiler pkg-config)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing system packages: ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if ! command -v swift >/dev/null; then
  echo "swift not found: install the Swift 6 toolchain (swift.org) and put it on PATH" >&2
  exit 1
fi

# Python is the independent reference in tests (NumPy, h5py): install only what is missing.
here=$(cd "$(dirname "$0")/.." && pwd)
if ! python3 -c 'import numpy, h5py' 2>/dev/null; then
  echo "installing Python test references (Fixtures/requirements.txt)"
  # A distribution's own Python may refuse pip (PEP 668): then take Debian's packages.
  if ! python3 -m pip install -q -r "$here/Fixtures/requirements.txt"; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq python3-numpy python3-h5py >/dev/null
  fi
fi
