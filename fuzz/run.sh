#!/usr/bin/env bash
# Runs every fuzz target (or those named) for a bounded time each, on the
# stable toolchain: RUSTC_BOOTSTRAP=1 lets it take the -Z flags cargo-fuzz
# passes (sanitizer, coverage). Usage: fuzz/run.sh [SECONDS] [TARGET...]
#
# New inputs go to target/corpus/TARGET (not committed); the committed
# seeds in corpus/TARGET are read only. Crashes land in artifacts/TARGET.
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-60}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    mapfile -t targets < <(RUSTC_BOOTSTRAP=1 cargo fuzz list)
fi
export RUSTC_BOOTSTRAP=1
# Build first, so that a build failure is not taken for a crash.
cargo fuzz build -a
status=0
for target in "${targets[@]}"; do
    mkdir -p "target/corpus/$target"
    echo "== $target: $seconds s"
    if ! cargo fuzz run -a "$target" "target/corpus/$target" "corpus/$target" -- \
        -max_total_time="$seconds" -print_final_stats=1; then
        echo "!! $target stopped on a crash, timeout or out-of-memory: see artifacts/$target"
        status=1
    fi
done
exit $status
