#!/usr/bin/env bash
# Makes Fashion-MNIST available for tools/FashionMnistPng (which writes it as a PNG folder for
# examples/ImageFolder): Debian's dataset-fashion-mnist package, which puts the four IDX files in
# /usr/share/datasets/fashion-mnist. Needs root and apt-get; where either is missing it says what is
# missing and changes nothing. Always exits 0: nothing in the build or the tests needs the data.
set -u
source "$(dirname "${BASH_SOURCE[0]}")/apt.sh"
package=dataset-fashion-mnist
directory=/usr/share/datasets/fashion-mnist
if [[ -z $(missing_packages "$package") && -f $directory/train-images-idx3-ubyte.gz ]]; then
  echo "Fashion-MNIST: $package present ($directory)."
elif apt_install Fashion-MNIST "pass the IDX files' folder to tools/FashionMnistPng with --source" -- "$package"; then
  echo "Fashion-MNIST: installed in $directory."
fi
exit 0
