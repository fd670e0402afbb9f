#!/usr/bin/env bash
# Makes NativeAOT publishing possible where it can: the AOT compiler (a NuGet package that restore
# fetches) links the native executable with clang or gcc and needs zlib's headers and library
# (Debian: clang, zlib1g-dev; objcopy strips the symbols, from binutils, which gcc and clang bring).
# Needs root and apt-get; where either is missing it says what is missing and changes nothing.
# Always exits 0: without a toolchain the NativeAOT test skips with a reason.
#
# After it:  CNNGEN_AOT_TESTS=1 dotnet test tests/CnnGen.Tests --filter FullyQualifiedName~NativeAotTests
set -u
source "$(dirname "${BASH_SOURCE[0]}")/apt.sh"
mapfile -t missing < <(missing_packages zlib1g-dev)
if ! command -v clang >/dev/null 2>&1 && ! command -v gcc >/dev/null 2>&1; then
  missing+=(clang)
fi
if [[ ${#missing[@]} -eq 0 ]]; then
  echo "NativeAOT: a C toolchain ($(command -v clang || command -v gcc)) and zlib1g-dev present."
elif apt_install NativeAOT "the NativeAOT test will skip" -- "${missing[@]}"; then
  echo "NativeAOT: installed."
fi
exit 0
