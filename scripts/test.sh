#!/usr/bin/env bash
# Runs every test: unit tests, and end-to-end tests that run the task the
# way the Azure Pipelines agent does (`node task/launcher.js`) with the real
# Postman CLI, which the task installs itself from the npm registry into a
# tool cache shared by the tests (target/tmp/agent-tool-cache).
#
# The Postman tab's browser tests (tests/integration/web_tab.rs) drive
# Debian's Chromium; this script installs it when it is missing (as root,
# with apt-get, as on CI's clean machine). They set web/ up themselves
# (`npm ci`, then the tab's build), each step once, under a lock on
# web/.setup.lock, so parallel tests never run npm there at the same time.
#
# The whole workspace: the task and the packaging xtask (xtask/). The two
# tests that run cross-built binaries under qemu and wine are ignored here
# (they build for minutes); see README.md, "Build and publish the extension".
#
# Needs: a Rust toolchain (rust-version in Cargo.toml) and Node.js 20 or
# newer. Extra arguments go to `cargo test`, e.g. `scripts/test.sh summary`.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v node >/dev/null 2>&1; then
  echo "scripts/test.sh: Node.js is required (the agent starts the task with node); install Node.js 20 or newer" >&2
  exit 1
fi

if ! command -v chromium >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "scripts/test.sh: installing Debian's chromium for the Postman tab's browser tests" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "scripts/test.sh: the browser tests need Chromium at /usr/bin/chromium (apt-get install -y chromium)" >&2
    exit 1
  fi
fi

# The tests set CI and the agent's variables themselves for every process
# they start; the outer values must not leak in.
unset TF_BUILD BUILD_BUILDID SYSTEM_TEAMFOUNDATIONCOLLECTIONURI || true

cargo test --locked --workspace "$@"
