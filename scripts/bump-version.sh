#!/usr/bin/env bash
# Sets the one version of the project everywhere it is written:
#
#   Cargo.toml          [package] version
#   Cargo.lock          the postman-cli-task entry
#   task/task.json      version { Major, Minor, Patch }
#   vss-extension.json  version
#
# Usage: scripts/bump-version.sh [--major] NEW_VERSION     e.g. 1.2.0
#
# The version only goes up (the marketplace refuses to publish a version it
# already has). A new major version is a new task major (`PostmanCli@2`): every
# pipeline that says `@1` keeps the old one, so it needs --major. Only the four
# version fields change; the files keep their formatting. Needs Node.js.
set -euo pipefail
cd "$(dirname "$0")/.."

allow_major=false
new=
for arg in "$@"; do
  case "$arg" in
    --major) allow_major=true ;;
    -h | --help)
      sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    -*)
      echo "bump-version.sh: unknown option $arg" >&2
      exit 2
      ;;
    *)
      [ -z "$new" ] || { echo "bump-version.sh: one version, please" >&2; exit 2; }
      new=$arg
      ;;
  esac
done
if ! [[ $new =~ ^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$ ]]; then
  echo "bump-version.sh: give the new version as MAJOR.MINOR.PATCH, e.g. 1.2.0 (got '${new}')" >&2
  exit 2
fi
command -v node >/dev/null 2>&1 || { echo "bump-version.sh: Node.js is required" >&2; exit 1; }

node - "$new" "$allow_major" <<'EOF'
const fs = require('fs');
const [next, allowMajor] = [process.argv[2], process.argv[3] === 'true'];
const fail = (message) => {
  console.error('bump-version.sh: ' + message);
  process.exit(1);
};
const read = (file) => fs.readFileSync(file, 'utf8');

// Replaces exactly one match of `pattern` in `text`, or fails.
const replaceOnce = (file, text, pattern, replacement) => {
  const matches = text.match(new RegExp(pattern.source, pattern.flags.replace('g', '') + 'g')) || [];
  if (matches.length !== 1) fail(`${file}: expected one version field, found ${matches.length}`);
  return text.replace(pattern, replacement);
};

const cargo = read('Cargo.toml');
const pkg = /^(\[package\][^[]*?^version\s*=\s*")([^"]+)(")/m;
const current = (cargo.match(pkg) || [])[2];
if (!current) fail('Cargo.toml: no [package] version');
const task = JSON.parse(read('task/task.json')).version || {};
const ext = JSON.parse(read('vss-extension.json')).version;
const taskVersion = [task.Major, task.Minor, task.Patch].join('.');
if (taskVersion !== current || ext !== current) {
  console.error(`note: the versions disagreed (Cargo.toml ${current}, task.json ${taskVersion}, vss-extension.json ${ext}); all become ${next}`);
}

const parts = (v) => v.split('.').map(Number);
const [a, b] = [parts(current), parts(next)];
const cmp = a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
if (cmp >= 0) fail(`${next} is not newer than ${current}`);
if (b[0] !== a[0] && !allowMajor) {
  fail(`${current} -> ${next} changes the task's major version (PostmanCli@${a[0]} -> @${b[0]}); pass --major if that is meant`);
}

const [major, minor, patch] = b;
const edits = {
  'Cargo.toml': replaceOnce('Cargo.toml', cargo, pkg, `$1${next}$3`),
  'Cargo.lock': replaceOnce(
    'Cargo.lock',
    read('Cargo.lock'),
    /(\[\[package\]\]\r?\nname = "postman-cli-task"\r?\nversion = ")([^"]+)(")/,
    `$1${next}$3`
  ),
  'task/task.json': replaceOnce(
    'task/task.json',
    read('task/task.json'),
    /("version"\s*:\s*\{\s*"Major"\s*:\s*)"?\d+"?(\s*,\s*"Minor"\s*:\s*)"?\d+"?(\s*,\s*"Patch"\s*:\s*)"?\d+"?/,
    `$1${major}$2${minor}$3${patch}`
  ),
  'vss-extension.json': replaceOnce(
    'vss-extension.json',
    read('vss-extension.json'),
    /^(  "version"\s*:\s*")([^"]+)(")/m,
    `$1${next}$3`
  ),
};

// Check the result before writing anything.
const check = JSON.parse(edits['task/task.json']).version;
if ([check.Major, check.Minor, check.Patch].join('.') !== next) fail('task/task.json: the edit did not take');
if (JSON.parse(edits['vss-extension.json']).version !== next) fail('vss-extension.json: the edit did not take');
for (const [file, text] of Object.entries(edits)) fs.writeFileSync(file, text);
console.log(`${current} -> ${next}: Cargo.toml, Cargo.lock, task/task.json, vss-extension.json`);
EOF
