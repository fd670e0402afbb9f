#!/usr/bin/env bash
# Makes NativeAOT publishing possible where it can: the AOT compiler (a NuGet package that restore
# fetches) links the native executable with clang or gcc and needs zlib's headers and library
# (Debian: clang, zlib1g-dev; objcopy strips the symbols, from binutils, which gcc and clang bring).
# Needs root and apt-get; where either is missing it says what is missing and changes nothing.
# Always exits 0: without a toolchain the NativeAOT test skips with a reason.
#
# After it:  CNNGEN_AOT_TESTS=1 dotnet test tests/CnnGen.Tests --filter FullyQualifiedName~NativeAotTests
set -u

missing=()
if ! command -v clang >/dev/null 2>&1 && ! command -v gcc >/dev/null 2>&1; then
  missing+=(clang)
fi
dpkg -s zlib1g-dev >/dev/null 2>&1 || missing+=(zlib1g-dev)
if [[ ${#missing[@]} -eq 0 ]]; then
  echo "NativeAOT: a C toolchain ($(command -v clang || command -v gcc)) and zlib1g-dev present."
  exit 0
fi

if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
  echo "NativeAOT: not installing ${missing[*]} (needs root and apt-get); the NativeAOT test will skip."
  exit 0
fi

echo "NativeAOT: installing ${missing[*]} ..."
# A dpkg run interrupted earlier leaves packages unconfigured and makes every install fail: finish it first.
DEBIAN_FRONTEND=noninteractive dpkg --configure -a >/dev/null 2>&1 || true
if apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1; then
  echo "NativeAOT: installed."
else
  echo "NativeAOT: apt-get failed; the NativeAOT test will skip."
fi
exit 0
