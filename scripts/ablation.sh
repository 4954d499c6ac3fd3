#!/usr/bin/env bash
# The loss ablation of the paper's Table 2 (CE, FL, FL+OR, FL+OR+ML) with the `tiny` model on
# drgrade's synthetic data set: the same data, seeds, folds and preprocessing cache for every row.
# Usage: bash scripts/ablation.sh [out-dir] [extra drgrade train options...]
# Prints a Markdown table (also written to <out-dir>/ablation.md).
set -euo pipefail
out=${1:-runs/ablation}
shift || true
drgrade() { node "$(dirname "$0")/../packages/drgrade/bin/drgrade.js" "$@"; }
mkdir -p "$out"
# The paper's loss first: it generates the synthetic data set and the folds the other rows reuse.
drgrade train --config tiny --out "$out/fl-or-ml" "$@"
data="$out/fl-or-ml/synthetic-data"
common=(--data "$data" --folds-file "$out/fl-or-ml/folds.csv" --cache "$out/cache")
drgrade train --config tiny "${common[@]}" --out "$out/fl-or" --set loss.metric.weight=0 --set loss.classificationWeight=1 "$@"
drgrade train --config tiny "${common[@]}" --out "$out/fl" --set loss.metric.weight=0 --set loss.classificationWeight=1 --set loss.sord.enabled=false "$@"
drgrade train --config tiny "${common[@]}" --out "$out/ce" --set loss.metric.weight=0 --set loss.classificationWeight=1 --set loss.sord.enabled=false --set loss.classification=ce "$@"
node "$(dirname "$0")/ablation-table.mjs" "$out" | tee "$out/ablation.md"
