#!/usr/bin/env bash
# Makes Open MPI available for the distributed-training tests where it can: Debian's openmpi-bin
# (mpirun) and libopenmpi-dev (the unversioned libmpi.so beside libmpi.so.40, which CnnGen's
# P/Invoke layer loads); and MPICH (mpich: mpirun.mpich and libmpich.so.12) for the test of
# MPICH's ABI. Open MPI keeps the plain `mpirun` (its alternative has the higher priority). Needs
# root and apt-get; where either is missing it says what is missing and changes nothing. Always
# exits 0: without mpirun (or mpirun.mpich) the MPI tests skip with a reason.
set -u
packages=(openmpi-bin libopenmpi-dev mpich)

missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [[ ${#missing[@]} -eq 0 ]]; then
  echo "MPI: Open MPI and MPICH packages present."
  exit 0
fi

if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
  echo "MPI: not installing ${missing[*]} (needs root and apt-get); the MPI tests will skip."
  exit 0
fi

echo "MPI: installing ${missing[*]} ..."
# A dpkg run interrupted earlier leaves packages unconfigured and makes every install fail: finish it first.
DEBIAN_FRONTEND=noninteractive dpkg --configure -a >/dev/null 2>&1 || true
if ! apt-get update -qq >/dev/null 2>&1; then
  echo "MPI: apt-get update failed; the MPI tests will skip."
  exit 0
fi
# Open MPI as Debian recommends it; MPICH alone, without its development files (CnnGen needs only its runtime).
openmpi=() mpich=()
for p in "${missing[@]}"; do
  if [[ $p == mpich ]]; then mpich+=("$p"); else openmpi+=("$p"); fi
done
if [[ ${#openmpi[@]} -gt 0 ]] && ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${openmpi[@]}" >/dev/null 2>&1; then
  echo "MPI: apt-get could not install ${openmpi[*]}; the Open MPI tests will skip."
fi
if [[ ${#mpich[@]} -gt 0 ]] && ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${mpich[@]}" >/dev/null 2>&1; then
  echo "MPI: apt-get could not install mpich; the MPICH test will skip."
fi
openmpi_version="no mpirun"
command -v mpirun >/dev/null 2>&1 && openmpi_version="$(mpirun --version 2>/dev/null | head -n 1)"
mpich_state="no mpirun.mpich"
command -v mpirun.mpich >/dev/null 2>&1 && mpich_state="mpirun.mpich present"
echo "MPI: $openmpi_version; $mpich_state."
exit 0
