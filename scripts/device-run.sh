#!/usr/bin/env bash
# On the lent NVIDIA machine, from the repository root: unpacks .gpu/ (scripts/device-pack.sh) into
# /tmp/darwin-breit once and runs the CLI there with this script's arguments, e.g.
#   bash scripts/device-run.sh bench --n 4096 --json > "$OUT/bench.json"
# The bundle sits beside node_modules/webgpu, so its `import "webgpu"` resolves (ESM ignores
# NODE_PATH); dawn.node goes where the loader looks for it, dist/linux-x64.dawn.node.
set -euo pipefail
root=/tmp/darwin-breit
unpack() {
  if command -v xz > /dev/null; then
    xz -dc "$1"
  else
    python3 -c 'import lzma, sys; sys.stdout.buffer.write(lzma.open(sys.argv[1]).read())' "$1"
  fi
}
if [ ! -x "$root/node" ]; then
  mkdir -p "$root/node_modules/webgpu/dist"
  unpack .gpu/node.xz > "$root/node.part" && chmod +x "$root/node.part" && mv "$root/node.part" "$root/node"
  unpack .gpu/dawn.node.xz > "$root/node_modules/webgpu/dist/linux-x64.dawn.node"
fi
cp .gpu/index.js .gpu/package.json "$root/node_modules/webgpu/"
cp .gpu/cli.mjs "$root/cli.mjs"
export LD_LIBRARY_PATH="$PWD/.gpu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
nvidia=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
if [ -z "${VK_DRIVER_FILES:-}" ] && [ -f "$nvidia" ]; then export VK_DRIVER_FILES="$nvidia"; fi
exec "$root/node" "$root/cli.mjs" "$@"
