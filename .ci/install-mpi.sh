#!/usr/bin/env bash
# Makes Open MPI available for the distributed-training tests where it can: Debian's openmpi-bin
# (mpirun) and libopenmpi-dev (the unversioned libmpi.so beside libmpi.so.40, which CnnGen's
# P/Invoke layer loads). Needs root and apt-get; where either is missing it says what is missing
# and changes nothing. Always exits 0: without mpirun the MPI tests skip with a reason.
set -u
packages=(openmpi-bin libopenmpi-dev)

missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [[ ${#missing[@]} -eq 0 ]]; then
  echo "MPI: Open MPI packages present."
  exit 0
fi

if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
  echo "MPI: not installing ${missing[*]} (needs root and apt-get); the MPI tests will skip."
  exit 0
fi

echo "MPI: installing ${missing[*]} ..."
# A dpkg run interrupted earlier leaves packages unconfigured and makes every install fail: finish it first.
DEBIAN_FRONTEND=noninteractive dpkg --configure -a >/dev/null 2>&1 || true
if apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1; then
  echo "MPI: installed $(mpirun --version 2>/dev/null | head -n 1)."
else
  echo "MPI: apt-get failed; the MPI tests will skip."
fi
exit 0
