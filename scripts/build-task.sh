#!/usr/bin/env bash
# Builds the release binary for this machine and puts it where
# task/launcher.js looks for it: `cargo xtask build-task` (xtask/).
set -euo pipefail
cd "$(dirname "$0")/.."
exec cargo xtask build-task "$@"
