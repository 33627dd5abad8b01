#!/usr/bin/env bash
# Trains a digits U-Net the way assets/ddpm-digits was made, on a machine with 2 CPU cores and no GPU:
# one run from scratch, then rounds of two runs (one per core, different seeds) that continue from the same
# checkpoint, whose weights are then averaged ("local SGD": each round doubles the digits seen per hour).
# Each run samples from a moving average of its weights and saves every 2 minutes.
#
# Rounds 4 and 5 add a label embedding (--classes 10, classifier-free guidance) and train it with the rest.
#
#   scripts/train-shipped-ddpm.sh OUT_DIR            (about 6.5 hours; the result is OUT_DIR/round5.{bpk,json})
#   latent-lab bench diffusion --data digits --model OUT_DIR/round5
set -euo pipefail
out="${1:?usage: scripts/train-shipped-ddpm.sh OUT_DIR}"
mkdir -p "$out"
bin="${LATENT_LAB:-${CARGO_TARGET_DIR:-$HOME/.cache/latent-lab/target}/release/latent-lab}"
train() { RAYON_NUM_THREADS=1 "$bin" --device cpu train ddpm --data digits --batch-size 64 "$@"; }

train --channels 16,32,64 --lr 2e-3 --seconds 5400 --out "$out/round0"
previous="$out/round0"
round=1
for lr_seconds_extra in "2e-3 3300" "1e-3 1800" "5e-4 2400" "1e-3 5100 --classes 10" "7e-4 2700"; do
    read -r lr seconds extra <<<"$lr_seconds_extra"
    # shellcheck disable=SC2086 # $extra is empty or "--classes 10"
    train --resume "$previous" --lr "$lr" --seconds "$seconds" --seed 1 --out "$out/round$round-a" $extra &
    # shellcheck disable=SC2086
    train --resume "$previous" --lr "$lr" --seconds "$seconds" --seed 2 --out "$out/round$round-b" $extra &
    wait
    "$bin" average "$out/round$round-a" "$out/round$round-b" --out "$out/round$round"
    previous="$out/round$round"
    round=$((round + 1))
done
echo "done: $previous.bpk"
