#!/usr/bin/env bash
# Packs into .gpu/ (git-ignored) what a run of the CLI needs on the lent NVIDIA machine, which has
# no Node, no npm and no network (../shared/DEVICE.md): this machine's node, Dawn's dawn.node and
# the `webgpu` loader beside it, the Vulkan loader, and the CLI bundle (shaders inlined, `webgpu`
# external). The device tool then carries .gpu/ with the working tree: name it in `carry` and
# start the command with scripts/device-run.sh (see README, "Benchmarking on a remote NVIDIA machine").
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf .gpu
mkdir -p .gpu
npm run --silent build:cli
cp dist-cli/darwin-breit.mjs .gpu/cli.mjs
xz -T2 -c "$(readlink -f "$(command -v node)")" > .gpu/node.xz
xz -T2 -c node_modules/webgpu/dist/linux-x64.dawn.node > .gpu/dawn.node.xz
cp node_modules/webgpu/index.js node_modules/webgpu/package.json .gpu/
vulkan="$(ldconfig -p | awk '$1 == "libvulkan.so.1" && /x86-64/ { print $NF; exit }')"
if [ -z "$vulkan" ]; then
  echo "device-pack: no libvulkan.so.1 here; apt-get install libvulkan1 first" >&2
  exit 1
fi
cp "$vulkan" .gpu/libvulkan.so.1
du -sh .gpu >&2
