#!/usr/bin/env bash
# Benchmarks, each against a baseline measured in the same run, so the
# ratios mean something on any machine:
#
#   overhead        postman-cli-task run (warm cache) of a 30-request collection
#                   against a local API  vs  the Postman CLI running it alone
#                   (JSON and JUnit reports), CLI $BENCH_V3_CLI_VERSION,
#                   alternating pairs (at least 8); goal <= 1.05
#   v3              postman-cli-task run of examples/shop-v3 (console report read)
#                   vs  the Postman CLI running the same folder directly; both
#                   against the shop's local mock (`--use-mock`), CLI $BENCH_V3_CLI_VERSION;
#                   the task's run includes its default collection lint,
#                   which starts beside the run; alternating pairs; goal <= 1.10
#   fixed           the task's own time before the CLI starts and after it
#                   exits (ms, warm tool cache), from a `postman` wrapper in a
#                   copy of the cached install that logs both instants
#   warm-install    postman-cli-task install, cache hit (absolute time)
#   cold-install    postman-cli-task install, empty cache  vs  npm install postman-cli, empty folder and npm cache;
#                   postman-cli-task install (download streamed into the unpacker)
#                   vs  curl, then tar, one after the other (the same tarball)
#   parallel        8 collections against a target with 0.5 s latency: parallel 4 vs parallel 1
#   large-report    100,000 results: JSON report -> JUnit + summary (time, peak memory)
#                   vs  Python's ElementTree parsing the same JUnit
#   tab-data        the Postman tab's attachment  vs  the CLI's JSON report of the
#                   same run (50 iterations of the passing collection), with
#                   requestDetails all and failed (bytes)
#   tab             a build with a 5,000-request run, from the frame's start to
#                   its first draw in headless Chromium  vs  an empty build;
#                   expanding that run and the failed-only filter (absolute)
#   masking         a 3 MB body of `…` (U+2026) with 20 secrets  vs  the same
#                   body of `x`, alternating (`postman-cli-task mask`, hidden)
#
# Needs the npm registry (cold installs download ~100 MB each), Node.js/npm,
# Python 3 and Debian's Chromium (/usr/bin/chromium).
#
# Usage: scripts/bench.sh [--bench ROW]... [REPS]
#   --bench ROW   run only this row (repeatable; the names above); default: all
#   REPS          runs per measurement (default 5; the overhead and v3 rows take
#                 at least 8 alternating pairs, cold installs half as many, at least 2)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
rows=()
while [ $# -gt 0 ]; do
  case $1 in
    --bench) rows+=("$2"); shift 2 ;;
    --bench=*) rows+=("${1#--bench=}"); shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) break ;;
  esac
done
all_rows="overhead v3 fixed warm-install cold-install parallel large-report tab-data tab masking"
for row in "${rows[@]}"; do
  case " $all_rows " in *" $row "*) ;; *) echo "unknown row \`$row\`; rows: $all_rows" >&2; exit 2 ;; esac
done
# want ROW: whether ROW is to be measured.
want() { [ ${#rows[@]} -eq 0 ] || [[ " ${rows[*]} " == *" $1 "* ]]; }
reps=${1:-5}
pair_reps=$(( reps > 8 ? reps : 8 ))
cold_reps=$(( reps / 2 > 2 ? reps / 2 : 2 ))
cli_version=${BENCH_CLI_VERSION:-1.34.0} # the newest version the `postman-cli` npm wrapper installs
v3_cli_version=${BENCH_V3_CLI_VERSION:-1.62.0} # v3 collections need a CLI that runs them

work=$(mktemp -d)
server_pid=
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "building the release binary…" >&2
cargo build --release --locked --quiet --bin postman-cli-task
bin="$root/target/release/postman-cli-task"

# A target API on 127.0.0.1 for the collection: GET /ok and POST /echo.
cat > "$work/server.py" <<'EOF'
import http.server, json, sys
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def reply(self, body):
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
    def do_GET(self):
        if self.path.startswith("/slow"):
            import time; time.sleep(0.5)
        self.reply({"ok": True})
    def do_POST(self):
        n = int(self.headers.get("content-length", 0))
        self.reply({"body": self.rfile.read(n).decode()})
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
print(s.server_address[1], flush=True)
s.serve_forever()
EOF
coproc SERVER { exec python3 "$work/server.py" 2>/dev/null; }
server_pid=$SERVER_PID
read -r port <&"${SERVER[0]}"
base="http://127.0.0.1:$port"
collection="$root/tests/fixtures/passing.postman_collection.json"

# Keep every Postman cloud call on this machine: point the CLI's base URLs
# at a port nothing listens on.
export POSTMAN_ANALYTICS_BASE_URL=http://127.0.0.1:9 POSTMAN_IDENTITY_BASE_URL=http://127.0.0.1:9 ARS_CLI_BASE_URL=http://127.0.0.1:9
unset TF_BUILD CI || true

# measure NAME REPS COMMAND…: runs COMMAND REPS times (after SETUP, if the
# function `setup` is defined), prints each duration in ms, one per line.
measure() {
  local reps=$1; shift
  local i start end
  for ((i = 0; i < reps; i++)); do
    if declare -F setup >/dev/null; then setup; fi
    start=$(date +%s%N)
    "$@" >/dev/null 2>&1
    end=$(date +%s%N)
    echo $(( (end - start) / 1000000 ))
  done
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : int((a[NR/2] + a[NR/2+1]) / 2)}'; }

tools="$work/tools"
export AGENT_TOOLSDIRECTORY="$tools"
table=()
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
# row NAME OURS BASE RATIO: one line of the table printed at the end.
row() { table+=("$(printf '%-38s %10s %10s %8s' "$@")"); }
# pairs N A B: runs A then B, N times, and prints "median-A median-B", so
# both see the same machine.
pairs() {
  local n=$1 a=$2 b=$3 i a_runs=() b_runs=()
  for ((i = 0; i < n; i++)); do
    a_runs+=("$(measure 1 "$a")")
    b_runs+=("$(measure 1 "$b")")
  done
  echo "$(printf '%s\n' "${a_runs[@]}" | median) $(printf '%s\n' "${b_runs[@]}" | median)"
}
postman=
if want warm-install || want cold-install || want parallel || want tab-data; then
  echo "installing Postman CLI $cli_version once for the warm measurements…" >&2
  postman=$("$bin" install --version "$cli_version" 2>/dev/null)
fi
postman_v3=
if want overhead || want v3 || want fixed; then
  echo "installing Postman CLI $v3_cli_version…" >&2
  postman_v3=$("$bin" install --version "$v3_cli_version" 2>/dev/null)
fi
direct_home="$work/direct-home"
mkdir -p "$direct_home"

# 1. Task overhead: the whole task (plan, cache check, run, JSON → JUnit and
#    summary) against the CLI alone running the same 30-request collection
#    with the reports a pipeline would publish (JSON and JUnit).
thirty="$work/thirty.postman_collection.json"
python3 - "$thirty" <<'PY'
import json, sys
items = [{"name": "request %d" % j,
          "event": [{"listen": "test", "script": {"exec": ["pm.test('ok', () => pm.response.to.have.status(200));"]}}],
          "request": {"method": "GET", "url": "{{baseUrl}}/ok/%d" % j} if j % 2 else
                     {"method": "POST", "url": "{{baseUrl}}/echo", "body": {"mode": "raw", "raw": "{\"n\": %d}" % j}}}
         for j in range(30)]
json.dump({"info": {"name": "Thirty", "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"}, "item": items}, open(sys.argv[1], "w"))
PY
direct() {
  HOME="$direct_home" POSTMAN_CLI_SKIP_UPDATE_CHECK=1 "$postman_v3" collection run "$thirty" \
    --env-var "baseUrl=$base" -r cli,json,junit --no-report-events \
    --reporter-json-export "$work/direct.json" --reporter-junit-export "$work/direct.xml"
}
task() {
  (cd "$work" && "$bin" run "$thirty" --env-var "baseUrl=$base" --cli-version "$v3_cli_version" --report-dir "$work/reports")
}
if want overhead; then
  echo "measuring the task against the CLI alone ($pair_reps alternating pairs)…" >&2
  read -r task_ms direct_ms <<<"$(pairs "$pair_reps" task direct)"
  row "task run vs CLI alone (30 requests)" "$task_ms" "$direct_ms" "$(ratio "$task_ms" "$direct_ms")"
fi

# 1b. A v3 collection (examples/shop-v3, a folder of YAML files) through the
#     task (console report read strictly into JUnit and summary, collection
#     lint beside the run) against the same folder run by the CLI alone,
#     both with the shop's mock.
v3_collection="$root/examples/shop-v3/postman/collections/Shop API (example)"
v3_environment="$root/examples/shop-v3/postman/environments/local.environment.yaml"
v3_mock=("--use-mock" "{{baseUrl}} mock:$root/examples/shop/mock")
direct_v3() {
  HOME="$direct_home" POSTMAN_CLI_SKIP_UPDATE_CHECK=1 "$postman_v3" collection run "$v3_collection" \
    -e "$v3_environment" -r cli --color off --disable-unicode --no-report-events "${v3_mock[@]}"
}
task_v3() {
  (cd "$work" && "$bin" run "$v3_collection" --environment "$v3_environment" --cli-version "$v3_cli_version" \
    --report-dir "$work/reports-v3" -- "${v3_mock[@]}")
}
if want v3; then
  echo "measuring a v3 collection through the task against the CLI alone ($pair_reps alternating pairs)…" >&2
  read -r task_v3_ms direct_v3_ms <<<"$(pairs "$pair_reps" task_v3 direct_v3)"
  row "v3 collection + lint vs CLI alone" "$task_v3_ms" "$direct_v3_ms" "$(ratio "$task_v3_ms" "$direct_v3_ms")"
fi

# 1c. The task's fixed time: a copy of the cached install (hard links) whose
#     bin/postman is a wrapper logging when it starts the real CLI and when
#     that exits; the task runs the 30-request collection from it.
if want fixed; then
  echo "measuring the task's fixed time before and after the CLI ($reps runs)…" >&2
  fixed_tools="$work/fixed-tools"
  cached="$(dirname "$(dirname "$postman_v3")")"
  rel="${cached#"$tools"/}"
  mkdir -p "$fixed_tools/$(dirname "$rel")"
  cp -al "$cached" "$fixed_tools/$rel"
  cp "$tools/$(dirname "$rel")/"*.complete "$fixed_tools/$(dirname "$rel")/"
  mv "$fixed_tools/$rel/bin/postman" "$fixed_tools/$rel/bin/postman.real"
  printf '#!/bin/sh\ndate +%%s%%N >> "%s"\n"$(dirname "$0")/postman.real" "$@"\nrc=$?\ndate +%%s%%N >> "%s"\nexit $rc\n' \
    "$work/fixed.log" "$work/fixed.log" > "$fixed_tools/$rel/bin/postman"
  chmod +x "$fixed_tools/$rel/bin/postman"
  before_runs=() after_runs=()
  for ((i = 0; i < reps; i++)); do
    : > "$work/fixed.log"
    start=$(date +%s%N)
    (cd "$work" && AGENT_TOOLSDIRECTORY="$fixed_tools" "$bin" run "$thirty" --env-var "baseUrl=$base" \
      --cli-version "$v3_cli_version" --report-dir "$work/reports" >/dev/null 2>&1) || true
    end=$(date +%s%N)
    { read -r cli_start; read -r cli_end; } < "$work/fixed.log"
    before_runs+=($(( (cli_start - start) / 1000000 )))
    after_runs+=($(( (end - cli_end) / 1000000 )))
  done
  fixed_before_ms=$(printf '%s\n' "${before_runs[@]}" | median)
  fixed_after_ms=$(printf '%s\n' "${after_runs[@]}" | median)
  row "task's own ms: before the CLI starts" "$fixed_before_ms" "-" "-"
  row "task's own ms: after the CLI exits" "$fixed_after_ms" "-" "-"
fi

# 2. Warm install: the cache hit a pipeline pays on every run after the first.
if want warm-install; then
  echo "measuring warm installs ($reps)…" >&2
  warm_ms=$(measure "$reps" "$bin" install --version "$cli_version" | median)
  row "warm install (cache hit)" "$warm_ms" "-" "-"
fi

if want cold-install; then
  # 3. Cold install: empty tool cache against npm into an empty folder with an
  #    empty npm cache (the same package bytes, from the same registry).
  echo "measuring cold installs ($cold_reps each; ~100 MB per run)…" >&2
  setup() { rm -rf "$work/cold" "$work/npm"; mkdir -p "$work/cold" "$work/npm"; }
  cold_task() { AGENT_TOOLSDIRECTORY="$work/cold" "$bin" install --version "$cli_version"; }
  npm_install() {
    (cd "$work/npm" && npm install "postman-cli@$cli_version" --no-audit --no-fund --no-package-lock --cache "$work/npm/.cache")
  }
  tarball=$(curl -sSf -H 'Accept: application/vnd.npm.install-v1+json' "${npm_config_registry:-https://registry.npmjs.org/}@postman%2fpm-bin-linux-x64" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["versions"][sys.argv[1]]["dist"]["tarball"])' "$cli_version")
  curl_tar() {
    curl -sSfL -o "$work/cold/pkg.tgz" "$tarball" && mkdir -p "$work/cold/out" && tar xzf "$work/cold/pkg.tgz" -C "$work/cold/out"
  }
  cold_ms=$(measure "$cold_reps" cold_task | median)
  npm_ms=$(measure "$cold_reps" npm_install | median)
  curl_ms=$(measure "$cold_reps" curl_tar | median)
  unset -f setup

  row "cold install vs npm install" "$cold_ms" "$npm_ms" "$(ratio "$cold_ms" "$npm_ms")"
  row "cold install vs curl, then tar" "$cold_ms" "$curl_ms" "$(ratio "$cold_ms" "$curl_ms")"
fi

if want parallel; then
  # 4. Parallel runs: eight collections, each four requests to an endpoint that
  #    answers in 0.5 s.
  mkdir -p "$work/eight"
  for i in 1 2 3 4 5 6 7 8; do
    python3 - "$work/eight/c$i.postman_collection.json" "$i" <<'PY'
import json, sys
items = [{"name": "slow %d" % j, "event": [{"listen": "test", "script": {"exec": ["pm.test('ok', () => pm.response.to.have.status(200));"]}}],
          "request": {"method": "GET", "url": "{{baseUrl}}/slow/%d" % j}} for j in range(4)]
json.dump({"info": {"name": "Slow %s" % sys.argv[2], "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"}, "item": items}, open(sys.argv[1], "w"))
PY
  done
  par() {
    (cd "$work" && "$bin" run "$work"/eight/*.postman_collection.json --env-var "baseUrl=$base" --cli-version "$cli_version" --report-dir "$work/reports" --parallel "$1")
  }
  par_reps=$(( reps > 2 ? 2 : reps ))
  echo "measuring 8 collections at parallel 4 and 1 ($par_reps runs each)..." >&2
  par4_ms=$(measure "$par_reps" par 4 | median)
  par1_ms=$(measure "$par_reps" par 1 | median)

  row "8 collections: parallel 4 vs 1" "$par4_ms" "$par1_ms" "$(ratio "$par4_ms" "$par1_ms")"
fi

if want large-report; then
  # 5. A 100,000-result report into JUnit and summary, against parsing the
  #    JUnit that comes out with Python's ElementTree.
  echo "measuring a 100,000-result report..." >&2
  python3 "$root/scripts/gen-report.py" 10000 10 "$work/big.json"
  # (convert exits 1: the generated report has failures.)
  big_stats=$( { /usr/bin/time -f "%e %M" "$bin" convert "$work/big.json" --junit "$work/big.xml" --summary "$work/big.md" >/dev/null || true; } 2>&1 | tail -n 1)
  big_ms=$(awk -v s="${big_stats% *}" 'BEGIN { printf "%d", s * 1000 }')
  big_kb=${big_stats#* }
  et_stats=$(python3 - "$work/big.xml" <<'PY'
import resource, sys, time, xml.etree.ElementTree as ET
start = time.time()
cases = len(ET.parse(sys.argv[1]).getroot().findall(".//testcase"))
assert cases == 100000, cases
print(int((time.time() - start) * 1000), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
PY
  )
  et_ms=${et_stats% *}
  et_kb=${et_stats#* }

  row "100k results vs ElementTree" "$big_ms" "$et_ms" "$(ratio "$big_ms" "$et_ms")"
  row "  peak memory (KiB)" "$big_kb" "$et_kb" "$(ratio "$big_kb" "$et_kb")"
fi

if want tab-data; then
  # 6. The tab's data against the CLI's JSON report of the same run (the
  #    report the task copies beside it, with headers and bodies).
  echo "measuring the Postman tab's attachment against the CLI's JSON report..." >&2
  att_size() {
    rm -rf "$work/att"
    (cd "$work" && "$bin" run "$collection" --env-var "baseUrl=$base" --cli-version "$cli_version" \
      --iteration-count 50 --request-details "$1" --report-dir "$work/att" >/dev/null 2>&1) || true
    local att report
    att=$(find "$work/att" -name 'postman-results-*.json' | head -n 1)
    report=$(find "$work/att" -name postman-report.json | head -n 1)
    echo "$(stat -c %s "$att") $(stat -c %s "$report")"
  }
  read -r att_all_b report_all_b <<<"$(att_size all)"
  read -r att_failed_b report_failed_b <<<"$(att_size failed)"

  row "tab data (bytes): all vs CLI JSON" "$att_all_b" "$report_all_b" "$(ratio "$att_all_b" "$report_all_b")"
  row "tab data (bytes): failed vs CLI JSON" "$att_failed_b" "$report_failed_b" "$(ratio "$att_failed_b" "$report_failed_b")"
fi

if want tab; then
  # 7. The Postman tab under the tests' emulated Azure DevOps host
  #    (web/test/host.mjs): ready = the frame's start to its first full draw
  #    (handshake, REST calls, parsing, drawing).
  echo "measuring the Postman tab in headless Chromium ($reps loads each)..." >&2
  # The browser tests set web/ up too (tests/integration/web_tab.rs): npm runs
  # under their lock, and the page is measured under a shared one, so no test
  # rebuilds it meanwhile.
  exec 8>web/.setup.lock
  if command -v flock >/dev/null 2>&1; then flock 8; fi
  if [ ! -d web/node_modules/playwright-core ]; then
    (cd web && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  fi
  (cd web && npm run --silent build)
  if command -v flock >/dev/null 2>&1; then flock -s 8; fi
  tab_stats=$(cd web && node test/bench.mjs "$reps")
  exec 8>&-
  read -r tab_big_ms tab_empty_ms tab_expand_ms tab_failed_ms <<<"$tab_stats"

  row "tab ready: 5,000 requests vs none" "$tab_big_ms" "$tab_empty_ms" "$(ratio "$tab_big_ms" "$tab_empty_ms")"
  row "  expand the 5,000-request run" "$tab_expand_ms" "-" "-"
  row "  failed only, 5,000 requests" "$tab_failed_ms" "-" "-"
fi

if want masking; then
  # 8. Masking hostile text: a body of `…`, which the search for secrets cut
  #    short looks behind, against a body of `x`, with 20 secrets; measured
  #    alternately so both see the same machine.
  echo "measuring masking of a 3 MB body of … against one of x ($reps runs each)..." >&2
  python3 - "$work" <<'PY'
import random, string, sys
random.seed(19)
alphabet = string.ascii_letters + string.digits + "-_.%&"
with open(sys.argv[1] + "/mask-secrets.txt", "w") as f:
    for _ in range(20):
        f.write("".join(random.choice(alphabet) for _ in range(random.randint(12, 40))) + "\n")
n = 3 * 1024 * 1024
open(sys.argv[1] + "/mask-ellipsis.txt", "w").write("\u2026" * (n // 3))
open(sys.argv[1] + "/mask-x.txt", "w").write("x" * n)
PY
  mask_body() { "$bin" mask --secrets "$work/mask-secrets.txt" < "$work/mask-$1.txt"; }
  mask_ell_runs=() mask_x_runs=()
  for ((i = 0; i < reps; i++)); do
    mask_ell_runs+=("$(measure 1 mask_body ellipsis)")
    mask_x_runs+=("$(measure 1 mask_body x)")
  done
  mask_ell_ms=$(printf '%s\n' "${mask_ell_runs[@]}" | median)
  mask_x_ms=$(printf '%s\n' "${mask_x_runs[@]}" | median)

  row "mask 3 MB of U+2026 vs x, 20 secrets" "$mask_ell_ms" "$mask_x_ms" "$(ratio "$mask_ell_ms" "$mask_x_ms")"
fi

printf '\n%-38s %10s %10s %8s\n' "benchmark (median)" "ours ms" "base ms" "ratio"
printf '%s\n' "${table[@]}"
printf '\nPostman CLI %s (overhead, v3, fixed: %s); %s runs (%s alternating pairs, %s cold); ratio < 1 means we are faster (or smaller).\n' "$cli_version" "$v3_cli_version" "$reps" "$pair_reps" "$cold_reps"
