#!/usr/bin/env bash
# Supply-chain checks with cargo-deny (configuration: deny.toml): licences
# compatible with AGPL-3.0-only, crates from crates.io only, duplicate
# versions reported. Installs the pinned cargo-deny when it is missing.
#
# The advisories check is not run: it clones the RustSec advisory database
# from GitHub, which CI cannot reach. Where GitHub is reachable, run
# `cargo deny check advisories` by hand (or set DENY_ADVISORIES=1).
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_DENY_VERSION=0.20.2

installed=$(cargo deny --version 2>/dev/null | awk '{print $2}' || true)
if [ "$installed" != "$CARGO_DENY_VERSION" ]; then
    echo "installing cargo-deny $CARGO_DENY_VERSION (found: ${installed:-none}); takes 3 to 5 minutes"
    start=$SECONDS
    cargo install "cargo-deny@$CARGO_DENY_VERSION" --locked --quiet
    echo "cargo-deny installed in $((SECONDS - start)) s"
fi

checks=(licenses bans sources)
if [ "${DENY_ADVISORIES:-0}" = 1 ]; then
    checks+=(advisories)
fi
# --locked: Cargo.lock must be up to date, as the crates checked are the
# ones it pins. Duplicates are warnings only: their inclusion graphs would
# fill the log, so they are hidden (`cargo deny check bans` shows them).
cargo deny --locked check --hide-inclusion-graph --show-stats "${checks[@]}"
