#!/usr/bin/env bash
# Sets up (system packages), builds (release) and opens latent-lab. Arguments go to the app, e.g. `./run.sh --device cpu`
# or `./run.sh train vae --seconds 20`.
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup.sh
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/latent-lab/target}"
# --all-targets: the tests' dev-dependencies switch on extra features in shared crates, so a build without them
# would be a second, separate build of burn and egui when `cargo test --release` runs later.
cargo build --release --locked --all-targets
exec "$CARGO_TARGET_DIR/release/latent-lab" "$@"
