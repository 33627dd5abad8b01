#!/usr/bin/env bash
# Trains a digits U-Net the way assets/ddpm-digits was made, on a machine with 2 CPU cores and no GPU:
# one run from scratch, then rounds of two runs (one per core, different seeds) that continue from the same
# checkpoint, whose weights are then averaged ("local SGD": each round doubles the digits seen per hour).
# Each run samples from a moving average of its weights and saves every 2 minutes.
#
#   scripts/train-shipped-ddpm.sh OUT_DIR            (about 4 hours; the result is OUT_DIR/round3.{bpk,json})
#   latent-lab bench diffusion --data digits --model OUT_DIR/round3
set -euo pipefail
out="${1:?usage: scripts/train-shipped-ddpm.sh OUT_DIR}"
mkdir -p "$out"
bin="${LATENT_LAB:-${CARGO_TARGET_DIR:-$HOME/.cache/latent-lab/target}/release/latent-lab}"
train() { RAYON_NUM_THREADS=1 "$bin" --device cpu train ddpm --data digits --batch-size 64 "$@"; }

train --channels 16,32,64 --lr 2e-3 --seconds 5400 --out "$out/round0"
previous="$out/round0"
round=1
for lr_seconds in "2e-3 3300" "1e-3 1800" "5e-4 2400"; do
    read -r lr seconds <<<"$lr_seconds"
    train --resume "$previous" --lr "$lr" --seconds "$seconds" --seed 1 --out "$out/round$round-a" &
    train --resume "$previous" --lr "$lr" --seconds "$seconds" --seed 2 --out "$out/round$round-b" &
    wait
    "$bin" average "$out/round$round-a" "$out/round$round-b" --out "$out/round$round"
    previous="$out/round$round"
    round=$((round + 1))
done
echo "done: $previous.bpk"
