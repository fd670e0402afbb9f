#!/usr/bin/env bash
# Makes Fashion-MNIST available for tools/FashionMnistPng (which writes it as a PNG folder for
# examples/ImageFolder): Debian's dataset-fashion-mnist package, which puts the four IDX files in
# /usr/share/datasets/fashion-mnist. Needs root and apt-get; where either is missing it says what is
# missing and changes nothing. Always exits 0: nothing in the build or the tests needs the data.
set -u
package=dataset-fashion-mnist
directory=/usr/share/datasets/fashion-mnist

if dpkg -s "$package" >/dev/null 2>&1 && [[ -f $directory/train-images-idx3-ubyte.gz ]]; then
  echo "Fashion-MNIST: $package present ($directory)."
  exit 0
fi

if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
  echo "Fashion-MNIST: not installing $package (needs root and apt-get); pass the IDX files' folder to tools/FashionMnistPng with --source."
  exit 0
fi

echo "Fashion-MNIST: installing $package ..."
# A dpkg run interrupted earlier leaves packages unconfigured and makes every install fail: finish it first.
DEBIAN_FRONTEND=noninteractive dpkg --configure -a >/dev/null 2>&1 || true
if apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$package" >/dev/null 2>&1; then
  echo "Fashion-MNIST: installed in $directory."
else
  echo "Fashion-MNIST: apt-get failed; tools/FashionMnistPng needs the IDX files (--source DIR)."
fi
exit 0
