#!/usr/bin/env bash
# Makes Open MPI available for the distributed-training tests where it can: Debian's openmpi-bin
# (mpirun) and libopenmpi-dev (the unversioned libmpi.so beside libmpi.so.40, which CnnGen's
# P/Invoke layer loads); and MPICH (mpich: mpirun.mpich and libmpich.so.12) for the test of
# MPICH's ABI. Open MPI keeps the plain `mpirun` (its alternative has the higher priority). Needs
# root and apt-get; where either is missing it says what is missing and changes nothing. Always
# exits 0: without mpirun (or mpirun.mpich) the MPI tests skip with a reason.
set -u
source "$(dirname "${BASH_SOURCE[0]}")/apt.sh"
mapfile -t openmpi < <(missing_packages openmpi-bin libopenmpi-dev)
mapfile -t mpich < <(missing_packages mpich)
if [[ ${#openmpi[@]} -eq 0 && ${#mpich[@]} -eq 0 ]]; then
  echo "MPI: Open MPI and MPICH packages present."
  exit 0
fi

# Open MPI as Debian recommends it; MPICH alone, without its development files (CnnGen needs only its runtime).
[[ ${#openmpi[@]} -gt 0 ]] && apt_install MPI "the Open MPI tests will skip" -- "${openmpi[@]}"
[[ ${#mpich[@]} -gt 0 ]] && apt_install MPI "the MPICH test will skip" --no-install-recommends -- "${mpich[@]}"
openmpi_version="no mpirun"
command -v mpirun >/dev/null 2>&1 && openmpi_version="$(mpirun --version 2>/dev/null | head -n 1)"
mpich_state="no mpirun.mpich"
command -v mpirun.mpich >/dev/null 2>&1 && mpich_state="mpirun.mpich present"
echo "MPI: $openmpi_version; $mpich_state."
exit 0
