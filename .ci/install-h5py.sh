#!/usr/bin/env bash
# Makes h5py available to /usr/bin/python3 for the Keras weights tests that read CnnGen's .h5 files
# back in h5py (tests/CnnGen.Tests/Interop/KerasWeightsTests.cs) and for regenerating the fixtures
# (tools/keras-weights/make_fixtures.py). Debian packages: python3-h5py, python3-numpy. Needs root and
# apt-get; where either is missing it says what is missing and changes nothing. Always exits 0: without
# h5py those tests skip with a reason, and every other Keras weights test runs on the checked-in fixtures.
set -u
packages=(python3-h5py python3-numpy)

missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [[ ${#missing[@]} -eq 0 ]]; then
  echo "h5py: packages present."
  exit 0
fi

if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
  echo "h5py: not installing ${missing[*]} (needs root and apt-get); the h5py round-trip tests will skip."
  exit 0
fi

echo "h5py: installing ${missing[*]} ..."
# A dpkg run interrupted earlier leaves packages unconfigured and makes every install fail: finish it first.
DEBIAN_FRONTEND=noninteractive dpkg --configure -a >/dev/null 2>&1 || true
if apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -f >/dev/null 2>&1 \
  && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1; then
  echo "h5py: installed for /usr/bin/python3."
else
  echo "h5py: apt-get failed; the h5py round-trip tests will skip."
fi
exit 0
