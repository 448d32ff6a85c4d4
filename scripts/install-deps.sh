#!/usr/bin/env bash
# Installs the Debian 12 packages trainsim builds with (only those missing).
# SimGrid 3.32, Eigen 3, Boost.Graph, nlohmann/json, CLI11, {fmt}, GoogleTest/GoogleMock,
# Google Benchmark, OpenMPI, CMake + Ninja, gnuplot (pictures: trainsim report), clang-format (the format test).
set -euo pipefail
pkgs=(cmake ninja-build g++ pkg-config libsimgrid-dev libeigen3-dev libboost-graph-dev nlohmann-json3-dev
      libcli11-dev libfmt-dev libgtest-dev libgmock-dev libbenchmark-dev libopenmpi-dev openmpi-bin
      gnuplot-nox clang-format)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi
