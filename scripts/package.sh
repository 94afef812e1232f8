#!/usr/bin/env bash
# Builds the marketplace package: `cargo xtask package` (xtask/), from the
# repository's root so a relative --out-dir means what it always did.
# `scripts/package.sh --help` lists the options.
set -euo pipefail
cd "$(dirname "$0")/.."
exec cargo xtask package "$@"
