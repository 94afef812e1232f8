#!/usr/bin/env bash
# Builds the marketplace package: release binaries of postman-cli-task for
# every agent platform, laid out where task/launcher.js looks for them
# (task/bin/<platform>/ in a staging copy of the manifest's files; the
# repository's task/bin/ is neither used nor touched), and
# dist/<publisher>.<extension-id>-<version>.vsix made by a pinned tfx-cli.
#
#   scripts/package.sh                      all five platforms (slow: minutes per target)
#   scripts/package.sh --host-only          just this machine's platform, for quick checks
#   scripts/package.sh --target linux-arm64 --build-only
#                                           build one platform's binary, no package
#
# Options:
#   --target FOLDER      a platform to build (repeatable): linux-x64, linux-arm64,
#                        win32-x64, darwin-x64, darwin-arm64
#   --host-only          only this machine's platform
#   --build-only         build the binaries into target/package/bin/<platform>/
#                        and print their paths; no package
#   --publisher ID       override the manifest's publisher (or $VSIX_PUBLISHER)
#   --extension-id ID    override the manifest's extension id (or $VSIX_EXTENSION_ID)
#   --out-dir DIR        where the .vsix goes (default dist/)
#
# A build with another publisher or extension id is a private test build: it
# is marked "public": false so a publish can only share it with organizations.
#
# What it installs when missing (each pinned, all under target/tools/ except
# the Rust targets, which rustup keeps with the toolchain):
#   - the Rust targets, with `rustup target add`;
#   - cargo-zigbuild and ziglang (the cross linker) from PyPI into a venv;
#   - tfx-cli from npm;
#   - the Postman tab's build tools (web/package-lock.json), with `npm ci`
#     in a copy of web/, so a build never races the tests that use web/.
# Needs: rustup, Python 3 with venv, Node.js 20+ with npm.
#
# Linux builds are static (musl), so they run on any distribution and in
# Alpine containers. The crate uses rustls with ring and links no system TLS
# or framework, which is what lets zig link all five targets on one machine:
# there is no macOS SDK here (rustc warns that it found no MacOSX.sdk, which
# is harmless), so a dependency that links a framework fails the darwin
# builds. The darwin-arm64 binary is ad-hoc signed by the linker; the script
# checks that signature, since macOS kills unsigned arm64 executables.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

TFX_VERSION=0.23.1
ZIGLANG_VERSION=0.15.2
CARGO_ZIGBUILD_VERSION=0.24.1
# Azure DevOps Server 2019 rejects extension uploads above 25 MB.
SIZE_LIMIT=25000000
ALL_PLATFORMS=(linux-x64 linux-arm64 win32-x64 darwin-x64 darwin-arm64)
# shellcheck source=SCRIPTDIR/lib/platform.sh
. scripts/lib/platform.sh  # BIN_NAME, host_platform, exe_of

die() {
  echo "package.sh: $*" >&2
  exit 1
}

usage() {
  sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
}

triple_of() {
  case "$1" in
    linux-x64) echo x86_64-unknown-linux-musl ;;
    linux-arm64) echo aarch64-unknown-linux-musl ;;
    win32-x64) echo x86_64-pc-windows-gnu ;;
    darwin-x64) echo x86_64-apple-darwin ;;
    darwin-arm64) echo aarch64-apple-darwin ;;
    *) die "unknown platform '$1' (one of: ${ALL_PLATFORMS[*]})" ;;
  esac
}

# The oldest macOS each darwin binary runs on: Rust's own minimum for the
# target. Without it zig would mark the binaries for its newer default, and
# macOS refuses to start a binary built for a newer version than its own.
macos_min_of() {
  case "$1" in
    darwin-x64) echo 10.12 ;;
    darwin-arm64) echo 11.0 ;;
    *) echo "" ;;
  esac
}

human() {
  awk -v b="$1" 'BEGIN { printf "%.1f MB", b / 1000000 }'
}

# --- arguments ---------------------------------------------------------------

platforms=()
build_only=false
publisher=${VSIX_PUBLISHER:-}
extension_id=${VSIX_EXTENSION_ID:-}
out_dir=$root/dist
while [ $# -gt 0 ]; do
  case "$1" in
    --host-only) platforms+=("$(host_platform)") ;;
    --target)
      [ $# -ge 2 ] || die "--target needs a platform"
      platforms+=("$2")
      shift
      ;;
    --target=*) platforms+=("${1#*=}") ;;
    --build-only) build_only=true ;;
    --publisher)
      [ $# -ge 2 ] || die "--publisher needs a value"
      publisher=$2
      shift
      ;;
    --publisher=*) publisher=${1#*=} ;;
    --extension-id)
      [ $# -ge 2 ] || die "--extension-id needs a value"
      extension_id=$2
      shift
      ;;
    --extension-id=*) extension_id=${1#*=} ;;
    --out-dir)
      [ $# -ge 2 ] || die "--out-dir needs a folder"
      out_dir=$2
      shift
      ;;
    --out-dir=*) out_dir=${1#*=} ;;
    -h | --help)
      usage
      exit 0
      ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
  shift
done
if [ ${#platforms[@]} -eq 0 ]; then
  platforms=("${ALL_PLATFORMS[@]}")
fi
# Validate, then de-duplicate in the canonical order.
for want in "${platforms[@]}"; do triple_of "$want" >/dev/null; done
selected=()
for p in "${ALL_PLATFORMS[@]}"; do
  for want in "${platforms[@]}"; do
    if [ "$want" = "$p" ]; then
      selected+=("$p")
      break
    fi
  done
done

for id in "$publisher" "$extension_id"; do
  if [ -n "$id" ] && ! [[ $id =~ ^[A-Za-z0-9][A-Za-z0-9_-]*$ ]]; then
    die "'$id' is not a valid publisher or extension id (letters, digits, - and _)"
  fi
done

command -v node >/dev/null 2>&1 || die "Node.js 20 or newer is required (tfx-cli runs on it)"
command -v python3 >/dev/null 2>&1 || die "Python 3 is required (ziglang comes from PyPI)"
command -v rustup >/dev/null 2>&1 || die "rustup is required to add the Rust targets"

# --- one version ---------------------------------------------------------------

# Cargo.toml, task/task.json and vss-extension.json must agree; bump them
# together with scripts/bump-version.sh.
version=$(node - "$root" <<'EOF'
const fs = require('fs');
const path = require('path');
const root = process.argv[2];
const cargo = fs.readFileSync(path.join(root, 'Cargo.toml'), 'utf8');
const pkg = cargo.split(/^\[/m).find((s) => s.startsWith('package]'));
const crate = (pkg && pkg.match(/^version\s*=\s*"([^"]+)"/m) || [])[1];
const task = JSON.parse(fs.readFileSync(path.join(root, 'task', 'task.json'), 'utf8')).version || {};
const taskVersion = [task.Major, task.Minor, task.Patch].join('.');
const ext = JSON.parse(fs.readFileSync(path.join(root, 'vss-extension.json'), 'utf8')).version;
if (crate !== taskVersion || crate !== ext) {
  console.error(`versions disagree: Cargo.toml ${crate}, task/task.json ${taskVersion}, vss-extension.json ${ext}; use scripts/bump-version.sh`);
  process.exit(1);
}
console.log(crate);
EOF
) || die "fix the versions first"

# --- tools -----------------------------------------------------------------------

tools=$root/target/tools
mkdir -p "$tools"
# Parallel runs (tests) install into the same folder: take turns where flock exists.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$tools/.lock"
  flock 9
fi

installed_targets=$(rustup target list --installed)
for p in "${selected[@]}"; do
  triple=$(triple_of "$p")
  if ! grep -qx "$triple" <<<"$installed_targets"; then
    echo "==> rustup target add $triple"
    rustup target add "$triple"
  fi
done

venv=$tools/zig-venv
want_zig="ziglang==$ZIGLANG_VERSION cargo-zigbuild==$CARGO_ZIGBUILD_VERSION"
if [ "$(cat "$venv/.pinned" 2>/dev/null || true)" != "$want_zig" ]; then
  echo "==> installing $want_zig into target/tools/zig-venv"
  rm -rf "$venv"
  python3 -m venv "$venv" || die "python3 -m venv failed (on Debian: apt-get install python3-venv)"
  # shellcheck disable=SC2086 # two requirement specifiers
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check $want_zig
  echo "$want_zig" >"$venv/.pinned"
fi

tfx_dir=$tools/tfx-cli
tfx=$tfx_dir/node_modules/.bin/tfx
if ! $build_only && [ "$(cat "$tfx_dir/.pinned" 2>/dev/null || true)" != "tfx-cli@$TFX_VERSION" ]; then
  echo "==> installing tfx-cli@$TFX_VERSION into target/tools/tfx-cli"
  rm -rf "$tfx_dir"
  mkdir -p "$tfx_dir"
  echo '{"private":true}' >"$tfx_dir/package.json"
  npm install --prefix "$tfx_dir" --no-audit --no-fund --no-save --loglevel=error \
    "tfx-cli@$TFX_VERSION" >/dev/null
  echo "tfx-cli@$TFX_VERSION" >"$tfx_dir/.pinned"
fi

if command -v flock >/dev/null 2>&1; then
  flock -u 9
fi

# --- binaries --------------------------------------------------------------------

# cargo-zigbuild runs zig as `python3 -m ziglang` from the venv.
export PATH="$venv/bin:$PATH"
target_dir=${CARGO_TARGET_DIR:-$root/target}
bin_root=$target_dir/package/bin
for p in "${selected[@]}"; do
  triple=$(triple_of "$p")
  exe=$(exe_of "$p")
  echo "==> building $p ($triple)"
  started=$SECONDS
  macos_min=$(macos_min_of "$p")
  if [ -n "$macos_min" ]; then
    MACOSX_DEPLOYMENT_TARGET=$macos_min cargo zigbuild --release --locked --target "$triple" --bin "$BIN_NAME"
  else
    cargo zigbuild --release --locked --target "$triple" --bin "$BIN_NAME"
  fi
  built=$target_dir/$triple/release/$exe
  [ -f "$built" ] || die "cargo zigbuild did not produce $built"
  # Check the file is what its folder says, stripped (the release profile
  # has strip = true), static on Linux, and on Apple silicon carrying a
  # valid ad-hoc signature (macOS kills unsigned arm64 executables).
  python3 - "$built" "$p" "$macos_min" <<'EOF' || die "$built is not a proper $p executable"
import hashlib, struct, sys
path, platform, macos_min = sys.argv[1], sys.argv[2], sys.argv[3]
data = open(path, 'rb').read()
def fail(why):
    sys.exit(f'{path}: {why}')
def elf():
    machine, = struct.unpack_from('<H', data, 18)
    phoff, shoff = struct.unpack_from('<QQ', data, 32)
    phentsize, phnum, shentsize, shnum = struct.unpack_from('<HHHH', data, 54)
    if any(struct.unpack_from('<I', data, phoff + i * phentsize)[0] == 3 for i in range(phnum)):
        fail('dynamically linked (it has an ELF interpreter)')
    if any(struct.unpack_from('<I', data, shoff + i * shentsize + 4)[0] == 2 for i in range(shnum)):
        fail('not stripped (it has a symbol table)')
    return {0x3e: 'linux-x64', 0xb7: 'linux-arm64'}.get(machine)
def macho():
    cpu, = struct.unpack_from('<I', data, 4)
    ncmds, = struct.unpack_from('<I', data, 16)
    off, signature = 32, None
    for _ in range(ncmds):
        cmd, size = struct.unpack_from('<II', data, off)
        if cmd == 0x1d:
            signature = struct.unpack_from('<II', data, off + 8)
        if cmd == 0x32:
            minos, = struct.unpack_from('<I', data, off + 12)
            want = [int(x) for x in (macos_min + '.0').split('.')[:2]]
            if [minos >> 16, (minos >> 8) & 0xff] > want:
                fail(f'needs macOS {minos >> 16}.{(minos >> 8) & 0xff}, not {macos_min}')
        if cmd in (0xc, 0x18 | 0x80000000):
            name = data[off + struct.unpack_from('<I', data, off + 8)[0]:off + size].split(b'\0')[0].decode()
            if not name.startswith('/usr/lib/'):
                fail(f'links {name}; only /usr/lib libraries exist without an SDK')
        off += size
    found = {0x01000007: 'darwin-x64', 0x0100000c: 'darwin-arm64'}.get(cpu)
    if found == 'darwin-arm64':
        if not signature:
            fail('has no code signature')
        start, size = signature
        blob = data[start:start + size]
        count, = struct.unpack_from('>I', blob, 8)
        for i in range(count):
            at, = struct.unpack_from('>I', blob, 16 + 8 * i)
            if struct.unpack_from('>I', blob, at)[0] != 0xfade0c02:
                continue
            cd = blob[at:]
            hash_at, _, _, slots, limit, hash_size, hash_type, _, page = struct.unpack_from('>IIIIIBBBB', cd, 16)
            for n in range(slots):
                chunk = data[n << page:min((n + 1) << page, limit)]
                digest = (hashlib.sha256 if hash_type == 2 else hashlib.sha1)(chunk).digest()
                if digest[:hash_size] != cd[hash_at + n * hash_size:hash_at + (n + 1) * hash_size]:
                    fail(f'its code signature does not match page {n}')
            break
        else:
            fail('its code signature has no code directory')
    return found
def pe():
    off, = struct.unpack_from('<I', data, 0x3c)
    if data[off:off + 4] != b'PE\0\0':
        return None
    machine, = struct.unpack_from('<H', data, off + 4)
    if struct.unpack_from('<I', data, off + 12)[0] != 0:
        fail('not stripped (it has a COFF symbol table)')
    return {0x8664: 'win32-x64'}.get(machine)
if data[:5] == b'\x7fELF\x02':
    found = elf()
elif data[:4] == b'\xcf\xfa\xed\xfe':
    found = macho()
elif data[:2] == b'MZ':
    found = pe()
else:
    found = None
if found != platform:
    fail(f'expected a {platform} executable, found {found or "something else"}')
EOF
  mkdir -p "$bin_root/$p"
  cp "$built" "$bin_root/$p/$exe"
  size=$(wc -c <"$built" | tr -d ' ')
  echo "    $p/$exe: $(human "$size") ($size bytes), built in $((SECONDS - started)) s"
done

if $build_only; then
  echo
  for p in "${selected[@]}"; do
    echo "$p: $bin_root/$p/$(exe_of "$p")"
  done
  exit 0
fi

# --- the Postman tab ---------------------------------------------------------------

# `npm ci && npm run build` in a copy of web/ (its sources and lock file):
# the package gets exactly the locked dependencies, and web/node_modules and
# web/dist, which the browser tests use meanwhile, are left alone.
mkdir -p "$root/target/package"
stage=$(mktemp -d "$root/target/package/stage.XXXXXX")
web_build=$(mktemp -d "$root/target/package/web.XXXXXX")
trap 'rm -rf "$stage" "$web_build"' EXIT
echo "==> building the Postman tab (web/: npm ci && npm run build)"
cp -R web/package.json web/package-lock.json web/build.mjs web/tsconfig.json web/src "$web_build/"
(
  cd "$web_build"
  npm ci --no-audit --no-fund --loglevel=error >/dev/null
  npm run --silent build
) || die "building the Postman tab failed"
[ -f "$web_build/dist/postman-tab.html" ] || die "the tab's build made no dist/postman-tab.html"

# --- package ---------------------------------------------------------------------

# tfx packages a copy of the manifest's files (task/ without whatever bin/
# a local build left there, plus exactly the binaries just built, and the
# tab just built), so the package never picks up stale files.
node - "$root" "$stage" "$web_build/dist" <<'EOF'
const fs = require('fs');
const path = require('path');
const [root, stage, webDist] = process.argv.slice(2);
const manifest = JSON.parse(fs.readFileSync(path.join(root, 'vss-extension.json'), 'utf8'));
const paths = new Set(['vss-extension.json']);
for (const f of manifest.files || []) paths.add(f.path);
for (const icon of Object.values(manifest.icons || {})) paths.add(icon);
for (const c of Object.values(manifest.content || {})) paths.add(c.path);
for (const s of manifest.screenshots || []) paths.add(s.path);
const copy = (rel, base = root) => {
  const from = path.join(base, rel);
  const to = path.join(stage, rel);
  const stat = fs.statSync(from);
  if (stat.isDirectory()) {
    fs.mkdirSync(to, { recursive: true });
    for (const name of fs.readdirSync(from)) {
      // Binaries come from this build only.
      if (rel === 'task' && name === 'bin') continue;
      copy(path.join(rel, name), base);
    }
  } else {
    fs.mkdirSync(path.dirname(to), { recursive: true });
    fs.copyFileSync(from, to);
  }
};
for (const rel of paths) {
  if (rel === 'web/dist') {
    // The tab as just built, not whatever web/dist holds.
    fs.cpSync(webDist, path.join(stage, rel), { recursive: true });
  } else {
    copy(rel);
  }
}
EOF
for p in "${selected[@]}"; do
  mkdir -p "$stage/task/bin/$p"
  cp "$bin_root/$p/$(exe_of "$p")" "$stage/task/bin/$p/"
done

manifest_field() {
  node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))[process.argv[2]])' \
    "$root/vss-extension.json" "$1"
}
tfx_args=()
override='{}'
if [ -n "$publisher" ] || [ -n "$extension_id" ]; then
  override='{"public": false}'
fi
[ -n "$publisher" ] || publisher=$(manifest_field publisher)
[ -n "$extension_id" ] || extension_id=$(manifest_field id)
tfx_args+=(--publisher "$publisher" --extension-id "$extension_id" --override "$override")

mkdir -p "$out_dir"
out_dir=$(cd "$out_dir" && pwd)
vsix=$out_dir/$publisher.$extension_id-$version.vsix
rm -f "$vsix"
echo "==> tfx extension create ($publisher.$extension_id $version)"
log=$stage.tfx.log
set +e
"$tfx" extension create --root "$stage" --manifest-globs vss-extension.json \
  --output-path "$vsix" --no-prompt --no-color "${tfx_args[@]}" >"$log" 2>&1
status=$?
set -e
sed 's/^/    /' "$log"
if [ $status -ne 0 ] || [ ! -f "$vsix" ]; then
  rm -f "$log"
  die "tfx extension create failed (exit $status)"
fi
if grep -qi 'warn' "$log"; then
  rm -f "$log" "$vsix"
  die "tfx reported warnings; the package must build without any"
fi
rm -f "$log"

# Check the package holds what the agent needs, and report sizes.
selected_csv=$(IFS=,; echo "${selected[*]}")
python3 - "$vsix" "$selected_csv" "$SIZE_LIMIT" "${#selected[@]}" "${#ALL_PLATFORMS[@]}" <<'EOF'
import os, sys, zipfile
vsix, platforms, limit, built, total = sys.argv[1], sys.argv[2].split(','), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
with zipfile.ZipFile(vsix) as z:
    names = {i.filename: i for i in z.infolist()}
    want = ['extension.vsixmanifest', 'extension.vsomanifest', 'overview.md', 'images/icon.png',
            'task/task.json', 'task/launcher.js', 'task/icon.png',
            'web/dist/postman-tab.html', 'web/dist/postman-tab.js', 'web/dist/postman-tab.css']
    for p in platforms:
        want.append(f'task/bin/{p}/postman-cli-task' + ('.exe' if p.startswith('win32') else ''))
    missing = [w for w in want if w not in names]
    if missing:
        sys.exit('the package lacks ' + ', '.join(missing))
    stray = [n for n in names if n.startswith('task/bin/') and not n.endswith('/') and n.split('/')[2] not in platforms]
    if stray:
        sys.exit('the package holds binaries that were not built now: ' + ', '.join(stray))
    for p in platforms:
        i = next(v for k, v in names.items() if k.startswith(f'task/bin/{p}/') and not k.endswith('/'))
        print(f'    {i.filename}: {i.file_size / 1e6:.1f} MB, {i.compress_size / 1e6:.1f} MB compressed')
    tab = sum(i.file_size for k, i in names.items() if k.startswith('web/dist/'))
    print(f'    web/dist (the Postman tab): {tab / 1e3:.0f} kB')
size = os.path.getsize(vsix)
print(f'package: {vsix}')
print(f'package size: {size / 1e6:.1f} MB ({size} bytes) with {built} of {total} platforms; limit {limit / 1e6:.0f} MB')
if size > limit:
    sys.exit(f'the package is over {limit / 1e6:.0f} MB: Azure DevOps Server 2019 would reject it')
EOF
