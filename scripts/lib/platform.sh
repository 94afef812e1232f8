# shellcheck shell=bash
# Sourced by build-task.sh and package.sh: the task's binary name, and the
# platform folders task/launcher.js looks in (task/bin/<platform>-<arch>/,
# named as Node's process.platform and process.arch name them).

BIN_NAME=postman-cli-task

# This machine's platform folder, e.g. linux-x64.
host_platform() {
  local os arch
  case "$(uname -s)" in
    Linux) os=linux ;;
    Darwin) os=darwin ;;
    MINGW* | MSYS* | CYGWIN*) os=win32 ;;
    *) echo "${0##*/}: unsupported OS $(uname -s)" >&2; return 1 ;;
  esac
  case "$(uname -m)" in
    x86_64 | amd64) arch=x64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) echo "${0##*/}: unsupported CPU $(uname -m)" >&2; return 1 ;;
  esac
  echo "$os-$arch"
}

# The binary's file name in a platform folder.
exe_of() {
  case "$1" in
    win32-*) echo "$BIN_NAME.exe" ;;
    *) echo "$BIN_NAME" ;;
  esac
}
