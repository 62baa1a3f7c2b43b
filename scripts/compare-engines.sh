#!/usr/bin/env bash
# Speed of two builds of AttnXai side by side, in one run: the same `bench model` and `bench explain` commands through
# each, in alternation (A B A B ...), so that other load on the machine affects both alike. Prints the median of each
# figure per build and their ratio (new over old for rates, old over new for times: above 1 means the new build is
# faster).
#
#   scripts/compare-engines.sh OLD_ATTNXAI NEW_ATTNXAI [ROUNDS] [THREADS]
#
# OLD/NEW are attnxai executables, e.g. a worktree of the last commit before the move to TorchSharp
# (git worktree add ../attnxai-old 25d0779 && (cd ../attnxai-old && ./attnxai --help)) and this checkout's build.
set -euo pipefail
old=$1 new=$2 rounds=${3:-3} threads=${4:-2}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Figures read from `bench model`: training documents/s and [CLS]-only inference documents/s at batch 1, 16, 1000.
model_figures() {
  awk '/^training \(batch 16/ { for (i = 1; i <= NF; i++) if ($(i+1) == "documents/s") print "train_docs_per_s", $i }
       /^(1|16|1000) +[0-9]/ { print "infer_b" $1 "_docs_per_s", $2 }' "$1"
}
# Figures read from `bench explain`: autograd gradients of the 99-token document (ms) and one generic-path LIME
# explanation of it (ms, deletion), in either build's table layout.
explain_figures() {
  awk '/^  synthetic-99: Theorem 4.1/ { for (i = 1; i <= NF; i++) if ($i == "autograd") { v = $(i+2); print "autograd_grad_ms", v } }
       /^LIME, one explanation of n = .* \(sampling \+ evaluation/ { oldtable = 1 }
       oldtable && /^synthetic-99 .* delete/ { print "generic_lime_ms", $(NF-2); oldtable = 0 }
       /^LIME through the generic batched forward/ { newtable = 1 }
       newtable && /^synthetic-99 .* delete/ { print "generic_lime_ms", $4; newtable = 0 }' "$1"
}

for r in $(seq 1 "$rounds"); do
  for side in old new; do
    exe=${!side}
    "$exe" bench model --threads "$threads" --steps 100 --seconds 2 --batches 1,16,1000 > "$work/model-$side-$r.txt"
    "$exe" bench explain --threads "$threads" --docs 100 $([ "$side" = new ] && echo --skip-study) > "$work/explain-$side-$r.txt"
    { model_figures "$work/model-$side-$r.txt"; explain_figures "$work/explain-$side-$r.txt"; } >> "$work/figures-$side.txt"
    echo "round $r: $side done" >&2
  done
done

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
printf '%-22s %12s %12s %8s\n' figure old new ratio
for key in train_docs_per_s infer_b1_docs_per_s infer_b16_docs_per_s infer_b1000_docs_per_s autograd_grad_ms generic_lime_ms; do
  o=$(awk -v k="$key" '$1 == k { print $2 }' "$work/figures-old.txt" | median)
  n=$(awk -v k="$key" '$1 == k { print $2 }' "$work/figures-new.txt" | median)
  awk -v k="$key" -v o="$o" -v n="$n" 'BEGIN { r = (k ~ /_ms$/) ? o / n : n / o; printf "%-22s %12.2f %12.2f %7.2fx\n", k, o, n, r }'
done
echo "(medians of $rounds alternating rounds, $threads threads; ratio above 1: the new build is faster)"
