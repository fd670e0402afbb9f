#!/usr/bin/env bash
# Makes an OpenCL 2.0 device available for the OpenCL tests where it can: Mesa's rusticl on the
# llvmpipe CPU driver (Debian packages), which ILGPU 1.5 accepts. Needs root and apt-get; where
# either is missing it says what is missing and changes nothing. Always exits 0: without a
# device the OpenCL tests skip with a reason.
#
# After it, run the tests with:  RUSTICL_ENABLE=llvmpipe RUSTICL_CL_VERSION=2.0 dotnet test
# (.ci/run sets both.) Packages: mesa-opencl-icd (rusticl), ocl-icd-libopencl1 (the ICD loader),
# ocl-icd-opencl-dev (the unversioned libOpenCL.so that ILGPU loads; without it ILGPU silently
# lists no OpenCL device).
set -u
source "$(dirname "${BASH_SOURCE[0]}")/apt.sh"
mapfile -t missing < <(missing_packages mesa-opencl-icd ocl-icd-libopencl1 ocl-icd-opencl-dev)
if [[ ${#missing[@]} -eq 0 ]]; then
  echo "OpenCL: rusticl packages present."
elif apt_install OpenCL "the OpenCL tests will skip" -- "${missing[@]}"; then
  echo "OpenCL: installed; set RUSTICL_ENABLE=llvmpipe RUSTICL_CL_VERSION=2.0 to expose the device."
fi
exit 0
