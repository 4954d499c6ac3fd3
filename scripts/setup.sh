#!/usr/bin/env bash
# Installs the system packages drgrade needs on Debian 12 / Ubuntu 24.04 (run as root or with sudo):
# a Vulkan loader, Mesa's lavapipe (a CPU Vulkan driver Dawn accepts: Mesa >= 24),
# Debian's chromium (headless browser tests; also ships SwiftShader), and, with --torch,
# PyTorch for regenerating the golden fixtures (tests never need it).
set -euo pipefail
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
. /etc/os-release
if [ "${ID:-}" = debian ] && [ "${VERSION_CODENAME:-}" = bookworm ]; then
  # Debian 12's own Mesa 22 lavapipe is rejected by Dawn; Mesa 25 comes from backports.
  if ! grep -rqs bookworm-backports /etc/apt/sources.list /etc/apt/sources.list.d/; then
    echo "deb http://deb.debian.org/debian bookworm-backports main" | $SUDO tee /etc/apt/sources.list.d/bookworm-backports.list >/dev/null
  fi
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q -t bookworm-backports mesa-vulkan-drivers libvulkan1
else
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q mesa-vulkan-drivers libvulkan1
fi
$SUDO apt-get install -y -q chromium
if [ "${1:-}" = "--torch" ]; then
  $SUDO apt-get install -y -q python3-torch python3-torchvision python3-sklearn python3-opencv
fi
