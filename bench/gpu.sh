#!/usr/bin/env bash
# The benchmarks on a lent GPU machine (one without Node.js or network access), so
# this machine's node binary, a trimmed node_modules and the built packages travel as one archive.
#
#   bash bench/gpu.sh pack [--lean]  # here: writes .gpu/payload.tar.xz and .gpu/libvulkan1*.deb;
#                               --lean leaves out what only the benches load (esbuild, TF.js, source
#                               maps), for realdata calls: the device tool carries at most 64 MiB in
#                               all, so the working tree, the payload and the data must fit together
#                               (scripts/shrink-dataset.py re-encodes a data set to fit)
#   bash bench/gpu.sh run       # there (device tool, carry [".gpu"]): JSON and logs under $OUT
#   bash bench/gpu.sh kernels   # there: the recording cost per op, the conv and matmul benches (after kernel changes)
#   bash bench/gpu.sh training  # there: the recording cost per op, the training step, where a DenseNet169 step's device time goes, then the conv bench
#   bash bench/gpu.sh ablation  # there: scripts/ablation.sh with its four rows at once; tables under $OUT
#   bash bench/gpu.sh realdata <data-dir> [recipe ...]  # there: scripts/real-cv.sh, every real-data recipe, folds side by side
#                               (REAL_SEEDS="0 1 2 3 4": each recipe once per seed, the way to tell recipes apart)
#
# `run` prints the adapter first; Vulkan is pointed at NVIDIA's driver by path (the loader does not
# search the driver's folder). Every benchmark has its own time limit, so one slow step cannot eat the call.
set -u
cd "$(dirname "$0")/.."

pack() {
  local lean=${1:-}
  grep -qx '/.gpu/' .git/info/exclude 2>/dev/null || echo '/.gpu/' >> .git/info/exclude
  mkdir -p .gpu
  # The Vulkan loader, and the GL dispatch libraries that NVIDIA's Vulkan driver (libGLX_nvidia) needs:
  # with the loader alone it was found but failed to create an instance.
  if ! ls .gpu/libglvnd0_*.deb >/dev/null 2>&1; then
    local o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64'
    mkdir -p /tmp/amd64/partial && apt-get $o update >/dev/null &&
      (cd .gpu && apt-get $o download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2)
  fi
  npm run build >/dev/null
  local stage
  stage=$(mktemp -d)
  mkdir -p "$stage/.gpu/bin" && cp "$(command -v node)" "$stage/.gpu/bin/node"
  # What the benches load: webgpu (linux-x64 only), TF.js's Node bundles, esbuild (train-step.js).
  tar cf - --exclude=typescript --exclude=playwright-core --exclude='@types' --exclude=tfjs-backend-cpu \
    --exclude='node_modules/webgpu/dist/darwin-*' --exclude='node_modules/webgpu/dist/win32-*' \
    --exclude='node_modules/webgpu/dist/linux-arm64' --exclude='*.map' --exclude='*.d.ts' node_modules \
    | (cd "$stage" && tar xf -)
  if [ "$lean" = --lean ]; then
    rm -rf "$stage/node_modules/@esbuild" "$stage/node_modules/esbuild" "$stage/node_modules/@tensorflow"
  fi
  for p in tfjs-core tfjs-backend-webgpu; do
    [ -d "$stage/node_modules/@tensorflow/$p" ] || continue
    find "$stage/node_modules/@tensorflow/$p/dist" -type f ! -name 'tf-*.node.js' -delete
    find "$stage/node_modules/@tensorflow/$p" -mindepth 1 -maxdepth 1 ! -name dist ! -name package.json -exec rm -rf {} +
  done
  for p in tensor nn drgrade; do mkdir -p "$stage/packages/$p" && cp -r "packages/$p/dist" "$stage/packages/$p/"; done
  [ "$lean" = --lean ] && find "$stage/packages" -name '*.map' -delete
  (cd "$stage" && tar cf - .gpu node_modules packages) | xz -T2 -6 > .gpu/payload.tar.xz
  rm -rf "$stage"
  ls -la .gpu
}

probe() {
  node --input-type=module -e "
    const l = await import('./packages/tensor/dist/index.js');
    const d = await l.getDevice();
    console.log(JSON.stringify(d.info));
    process.exit(d.info.kind === 'gpu' ? 0 : 3);"
}

step() { # name, seconds, command...
  local name=$1 secs=$2
  shift 2
  echo "== $name (limit ${secs}s) $(date -u +%T)"
  timeout "$secs" "$@" > "$OUT/$name.json" 2> "$OUT/$name.log"
  echo "== $name exit $? $(date -u +%T)"
  tail -n 40 "$OUT/$name.log"
}

setup() {
  : "${OUT:?run this on the device machine, where OUT is set}"
  for f in .gpu/*.deb; do dpkg -x "$f" /; done
  ldconfig
  tar xJf .gpu/payload.tar.xz
  export PATH="$PWD/.gpu/bin:$PATH"
  nvidia-smi -L
  node --version
  local icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
  [ -f "$icd" ] && export VK_DRIVER_FILES=$icd VK_ICD_FILENAMES=$icd
  probe || { echo 'no GPU adapter'; exit 1; }
}

run() {
  setup
  step conv 200 node bench/conv.js --json
  step matmul 70 node bench/matmul.js --json
  step train-step 110 node bench/train-step.js --json
  step ops 60 node bench/ops.js --json
  step dispatch 40 node bench/dispatch.js --json
}

# The loss ablation on the synthetic set (scripts/ablation.sh), rows in parallel: the GPU has room
# for four tiny models and the machine has cores for their data loaders. Only the tables come back
# (the device tool returns at most 8 files).
ablation() {
  setup
  ABLATION_JOBS=4 ABLATION_LIMIT=${ABLATION_LIMIT:-420} bash scripts/ablation.sh runs/ablation-gpu --workers 3
  for r in ce fl fl-or fl-or-ml; do cp "runs/ablation-gpu/$r/report.json" "$OUT/$r-report.json" 2>/dev/null; done
  cp runs/ablation-gpu/ablation.md "$OUT/"
  tail -n 3 runs/ablation-gpu/*.log > "$OUT/ablation-logs.txt"
}

# The real-data recipes (configs/real/) cross-validated side by side, and the models trained on
# every image for the recipes in REAL_FINAL. The data set travels in a carried folder. What comes
# back is one archive of the fold results, logs, tables and final models (not the checkpoints).
realdata() {
  local data=${1:?usage: bash bench/gpu.sh realdata <data-dir> [recipe ...]}
  shift
  local recipes=("$@")
  [ ${#recipes[@]} -gt 0 ] || recipes=($(cd configs/real && ls *.json | sed 's/\.json$//'))
  setup
  REAL_JOBS=${REAL_JOBS:-10} REAL_LIMIT=${REAL_LIMIT:-480} DRGRADE_AUTOTUNE=0 \
    timeout "${REAL_TOTAL:-520}" bash scripts/real-cv.sh "$data" runs/real-gpu "${recipes[@]}"
  echo "== real-cv exit $? $(date -u +%T)"
  # The run folders real-cv.sh listed (one per recipe, or per recipe and seed with REAL_SEEDS).
  local names=($(cat runs/real-gpu/runs.txt 2>/dev/null))
  for r in "${names[@]}"; do
    ls runs/real-gpu/$r/fold-*/result.json >/dev/null 2>&1 && node packages/drgrade/bin/drgrade.js report runs/real-gpu/$r >/dev/null 2>&1
  done
  node scripts/real-table.mjs runs/real-gpu "${names[@]}" | tee "$OUT/table.md"
  # With REAL_TTA=1, each finished cross-validation re-scored without and with test-time flips while
  # its fold models are still here (too large to bring back): fold-k/eval-plain.json, eval-flips.json.
  # Up to REAL_TTA_LIMIT (90) s a run, which the call's time limit must leave.
  [ "${REAL_TTA:-0}" = 1 ] && for r in "${names[@]}"; do
    [ -f "runs/real-gpu/$r/folds.csv" ] && timeout "${REAL_TTA_LIMIT:-90}" node scripts/real-tta.mjs "$data" "runs/real-gpu/$r" | tee -a "$OUT/tta.md"
  done
  (cd runs && find real-gpu -name result.json -o -name '*.log' -o -name config.json -o -name folds.csv -o -name report.json \
    -o -name 'eval-*.json' -o -name table.md -o -path '*-final/final/model-best.safetensors' | tar czf "$OUT/real-gpu.tar.gz" -T -)
  ls -la "$OUT"
}

case "${1:-}" in
  pack) pack "${2:-}" ;;
  run) run ;;
  conv) setup && step conv 170 node bench/conv.js --json ;;
  kernels) setup && step dispatch 40 node bench/dispatch.js --json && step conv 300 node bench/conv.js --json && step matmul 80 node bench/matmul.js --json ;;
  training) setup && step dispatch 40 node bench/dispatch.js --json && step train-step 100 node bench/train-step.js --json &&
    step profile-step 60 node bench/profile-step.js --json --no-torch && step conv 150 node bench/conv.js --json ;;
  ablation) ablation ;;
  realdata) shift; realdata "$@" ;;
  *) echo "usage: bash bench/gpu.sh pack | run | conv | kernels | training | ablation | realdata <data-dir>" >&2; exit 2 ;;
esac
