#!/usr/bin/env bash
# Builds the release binary for this machine and puts it where
# task/launcher.js looks for it: task/bin/<node platform>-<node arch>/.
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=SCRIPTDIR/lib/platform.sh
. scripts/lib/platform.sh
platform=$(host_platform)
exe=$(exe_of "$platform")

cargo build --release --locked --bin "$BIN_NAME"
dest="task/bin/$platform"
mkdir -p "$dest"
cp "target/release/$exe" "$dest/$exe"
echo "built $dest/$exe ($(wc -c < "$dest/$exe") bytes)"
