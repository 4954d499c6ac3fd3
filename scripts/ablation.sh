#!/usr/bin/env bash
# The loss ablation of the paper's Table 2 (CE, FL, FL+OR, FL+OR+ML) with the `tiny` model on
# drgrade's synthetic data set: the same data, seeds and folds for every row.
# Usage: bash scripts/ablation.sh [out-dir] [extra drgrade train options...]
# ABLATION_JOBS=4 trains the four rows at once (on a GPU machine with cores to spare; on a CPU
# adapter they would only share the same cores). Prints a Markdown table (also written to
# <out-dir>/ablation.md). ABLATION_LIMIT=<seconds> stops each row's training after that long; a
# row stopped early is reported over the folds it finished.
set -uo pipefail
out=${1:-runs/ablation}
shift || true
jobs=${ABLATION_JOBS:-1}
drgrade() { node "$(dirname "$0")/../packages/drgrade/bin/drgrade.js" "$@"; }
mkdir -p "$out"
# The data set that `drgrade train` generates by default (500 images, 256 px, seed 1) and one
# folds file for all rows.
[ -f "$out/folds.csv" ] || {
  drgrade synth --out "$out/data" --n 500 --size 256 --seed 1 &&
  drgrade data folds "$out/data" --k 5 --seed 0 --out "$out/folds.csv"
} || exit 1

row() { # name, then --set overrides
  local name=$1
  shift
  timeout "${ABLATION_LIMIT:-0}" node "$(dirname "$0")/../packages/drgrade/bin/drgrade.js" train --config tiny --data "$out/data" --folds-file "$out/folds.csv" --cache "$out/cache-$name" \
    --out "$out/$name" "$@" "${extra[@]}" > "$out/$name.log" 2>&1
  echo "$name: exit $? $(date -u +%T)"
}
extra=("$@")
single=(--set loss.metric.weight=0 --set loss.classificationWeight=1)
rows=(
  "fl-or-ml"
  "fl-or ${single[*]}"
  "fl ${single[*]} --set loss.sord.enabled=false"
  "ce ${single[*]} --set loss.sord.enabled=false --set loss.classification=ce"
)
for r in "${rows[@]}"; do
  # shellcheck disable=SC2086 # each row is a name followed by its options, split on spaces
  if [ "$jobs" -gt 1 ]; then row $r & else row $r; fi
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n; done
done
wait
# A row that stopped early (time limit) still gets a report over its finished folds.
for r in "${rows[@]}"; do
  name=${r%% *}
  if [ ! -f "$out/$name/report.json" ] && ls "$out/$name"/fold-*/result.json >/dev/null 2>&1; then drgrade report "$out/$name" >/dev/null; fi
done
node "$(dirname "$0")/ablation-table.mjs" "$out" | tee "$out/ablation.md"
