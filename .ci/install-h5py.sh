#!/usr/bin/env bash
# Makes h5py available to /usr/bin/python3 for the Keras weights tests that read CnnGen's .h5 files
# back in h5py (tests/CnnGen.Tests/Interop/KerasWeightsTests.cs) and for regenerating the fixtures
# (tools/keras-weights/make_fixtures.py). Debian packages: python3-h5py, python3-numpy. Needs root and
# apt-get; where either is missing it says what is missing and changes nothing. Always exits 0: without
# h5py those tests skip with a reason, and every other Keras weights test runs on the checked-in fixtures.
set -u
source "$(dirname "${BASH_SOURCE[0]}")/apt.sh"
mapfile -t missing < <(missing_packages python3-h5py python3-numpy)
if [[ ${#missing[@]} -eq 0 ]]; then
  echo "h5py: packages present."
elif apt_install h5py "the h5py round-trip tests will skip" -- "${missing[@]}"; then
  echo "h5py: installed for /usr/bin/python3."
fi
exit 0
