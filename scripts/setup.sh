#!/usr/bin/env bash
# Installs what a fresh Debian/Ubuntu machine lacks to build and run latent-lab (idempotent).
#   - Mesa's OpenGL and Vulkan drivers: without a hardware GPU the window is drawn by OpenGL on llvmpipe (about five
#     times cheaper per frame than wgpu on lavapipe); lavapipe serves wgpu (kittests, --renderer wgpu).
#   - Xvfb/xauth: a virtual display for screenshots and headless runs.
#   - rustfmt and clippy for the checks in .ci/run.
set -euo pipefail
packages=(mesa-vulkan-drivers libvulkan1 libgl1-mesa-dri libegl1 libegl-mesa0 libgl1 libglx-mesa0 xvfb xauth libxkbcommon-x11-0)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
if command -v rustup >/dev/null 2>&1; then
  rustup component add rustfmt clippy >/dev/null 2>&1 || true
fi
