#!/usr/bin/env bash
# Builds the release binary for this machine and puts it where
# task/launcher.js looks for it: task/bin/<node platform>-<node arch>/.
set -euo pipefail
cd "$(dirname "$0")/.."

case "$(uname -s)" in
  Linux) platform=linux ;;
  Darwin) platform=darwin ;;
  MINGW* | MSYS* | CYGWIN*) platform=win32 ;;
  *) echo "build-task.sh: unsupported OS $(uname -s)" >&2; exit 1 ;;
esac
case "$(uname -m)" in
  x86_64 | amd64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) echo "build-task.sh: unsupported CPU $(uname -m)" >&2; exit 1 ;;
esac
exe=postman-cli-task
[ "$platform" = win32 ] && exe=postman-cli-task.exe

cargo build --release --locked --bin postman-cli-task
dest="task/bin/$platform-$arch"
mkdir -p "$dest"
cp "target/release/$exe" "$dest/$exe"
echo "built $dest/$exe ($(wc -c < "$dest/$exe") bytes)"
