#!/usr/bin/env bash
# Cross-validation of the real-data recipes (configs/real/*.json) on one data set, with the same
# folds for every recipe, and optionally the models trained on every image (docs/real-data.md).
#
#   bash scripts/real-cv.sh <data-dir> <out-dir> [recipe ...]     (default: every recipe)
#
# REAL_JOBS=N     fold jobs at once (default 1; a GPU machine has room for several small models)
# REAL_FINAL="r…" recipes also trained on every image (into <out-dir>/<recipe>-final/final/)
# REAL_LIMIT=s    time limit of each job (default none); REAL_WORKERS=n data threads per job
# REAL_SET="…"    extra --set overrides for every job (e.g. train.epochs=1 for a smoke run)
# REAL_PRETRAINED=f  every job's backbone starts from these torchvision-named weights (--pretrained)
# REAL_SEEDS="0 1 2"  every recipe once per seed, into <out-dir>/<recipe>-seed<N> (default: once, with
#                 the recipe's own seed, into <out-dir>/<recipe>): a recipe's kappa moves by ±0.05
#                 between seeds on 348 photographs, so comparing recipes needs several seeds each
# Jobs run largest image size first; within a size, finals first, then fold by fold across recipes, so a
# time limit leaves whole folds of every recipe rather than whole recipes. Prints the table of scripts/real-table.mjs at the end.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
data=${1:?usage: bash scripts/real-cv.sh <data-dir> <out-dir> [recipe ...]}
out=${2:?usage: bash scripts/real-cv.sh <data-dir> <out-dir> [recipe ...]}
shift 2
recipes=("$@")
[ ${#recipes[@]} -gt 0 ] || recipes=($(cd "$here/../configs/real" && ls *.json | sed 's/\.json$//'))
drgrade=(node "$here/../packages/drgrade/bin/drgrade.js")
mkdir -p "$out"
[ -f "$out/folds.csv" ] || "${drgrade[@]}" data folds "$data" --k 5 --seed 0 --out "$out/folds.csv" || exit 1

field() { # recipe dotted.path: a field of the recipe as drgrade resolves it (a recipe may only extend a preset)
  node "$here/../packages/drgrade/bin/drgrade.js" config show "$here/../configs/real/$1.json" | node -e "let v=JSON.parse(require('fs').readFileSync(0,'utf8'));for(const k of '$2'.split('.'))v=v[k];process.stdout.write(String(v))"
}
cache_key() { echo "$(field "$1" data.imageSize)-$(field "$1" data.preprocess.sigma)"; }

job() { # recipe fold|final seed|- run-name
  local recipe=$1 what=$2 seed=$3 name=$4 dir log
  local sets=() s
  for s in ${REAL_SETS_STR:-}; do sets+=(--set "$s"); done
  [ "$seed" = - ] || sets+=(--set "seed=$seed")
  [ -z "${REAL_PRETRAINED:-}" ] || sets+=(--pretrained "$REAL_PRETRAINED")
  local drgrade=(node "$here/../packages/drgrade/bin/drgrade.js")
  local args=(train --config "$here/../configs/real/$recipe.json" --data "$data" --folds-file "$out/folds.csv" --workers "${REAL_WORKERS:-1}" "${sets[@]}")
  if [ "$what" = final ]; then dir="$out/$name-final"; args+=(--final); else dir="$out/$name"; args+=(--fold "$what"); fi
  # One preprocessing cache per image size and filter, shared by every job that uses it.
  local cache="$out/cache-$(cache_key "$recipe")"
  log="$dir-$what.log"
  mkdir -p "$(dirname "$log")"
  timeout "${REAL_LIMIT:-0}" "${drgrade[@]}" "${args[@]}" --cache "$cache" --out "$dir" > "$log" 2>&1
  echo "$name $what: exit $? $(date -u +%T)"
}
export -f job field cache_key
export here data out
export REAL_SETS_STR="${REAL_SET:-}"

# The caches first, once each (concurrent jobs would all preprocess the same images): what
# `drgrade preprocess` writes is what training caches, file for file.
for r in "${recipes[@]}"; do
  c="$out/cache-$(cache_key "$r")"
  [ -d "$c" ] || "${drgrade[@]}" preprocess "$data" --out "$c" --size "$(field "$r" data.imageSize)" --sigma "$(field "$r" data.preprocess.sigma)" --image-format png > "$out/preprocess.log" 2>&1 \
    || { echo "preprocessing for $r failed: see $out/preprocess.log"; exit 1; }
done

# "recipe seed run-name" for each run: the recipe's own seed (-) unless REAL_SEEDS lists some.
runs_of() { # recipe
  if [ -z "${REAL_SEEDS:-}" ]; then echo "$1 - $1"; else for s in $REAL_SEEDS; do echo "$1 $s $1-seed$s"; done; fi
}
names=($(for r in "${recipes[@]}"; do runs_of "$r"; done | cut -d' ' -f3))
# The run folders this call fills, for whoever tabulates them after a time limit (bench/gpu.sh).
printf '%s\n' "${names[@]}" > "$out/runs.txt"

# Larger inputs first: their jobs are the slowest, so they start at once and the quick ones fill the
# remaining slots; within one size, finals, then fold by fold across recipes and seeds.
list=()
for size in $(for r in "${recipes[@]}" ${REAL_FINAL:-}; do field "$r" data.imageSize; echo; done | sort -rnu); do
  for r in ${REAL_FINAL:-}; do [ "$(field "$r" data.imageSize)" = "$size" ] && while read -r _ seed name; do list+=("$r final $seed $name"); done < <(runs_of "$r"); done
  for f in 0 1 2 3 4; do for r in "${recipes[@]}"; do
    [ "$(field "$r" data.imageSize)" = "$size" ] && while read -r _ seed name; do list+=("$r $f $seed $name"); done < <(runs_of "$r")
  done; done
done
printf '%s\n' "${list[@]}" | xargs -P "${REAL_JOBS:-1}" -L 1 bash -c 'job "$@"' _
for n in "${names[@]}"; do
  ls "$out/$n"/fold-*/result.json >/dev/null 2>&1 && "${drgrade[@]}" report "$out/$n" > /dev/null 2>&1
done
node "$here/real-table.mjs" "$out" "${names[@]}" | tee "$out/table.md"
