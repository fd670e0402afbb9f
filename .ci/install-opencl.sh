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
packages=(mesa-opencl-icd ocl-icd-libopencl1 ocl-icd-opencl-dev)

missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [[ ${#missing[@]} -eq 0 ]]; then
  echo "OpenCL: rusticl packages present."
  exit 0
fi

if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
  echo "OpenCL: not installing ${missing[*]} (needs root and apt-get); the OpenCL tests will skip."
  exit 0
fi

echo "OpenCL: installing ${missing[*]} ..."
# A dpkg run interrupted earlier leaves packages unconfigured and makes every install fail: finish it first.
DEBIAN_FRONTEND=noninteractive dpkg --configure -a >/dev/null 2>&1 || true
if apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -f >/dev/null 2>&1 \
  && apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1; then
  echo "OpenCL: installed; set RUSTICL_ENABLE=llvmpipe RUSTICL_CL_VERSION=2.0 to expose the device."
else
  echo "OpenCL: apt-get failed; the OpenCL tests will skip."
fi
exit 0
