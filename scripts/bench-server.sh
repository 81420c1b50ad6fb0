#!/usr/bin/env bash
# The whole-server benchmark (issue 8): seed a large organization, start a
# release server on it with the rate limit off, drive each scenario with 64
# connections, and measure GET /health of the same server as the ceiling.
# Unlock is measured three times: as fast as the server answers, paced at a
# quarter of the /health rate (`unlock@25%`, the issue's throughput goal),
# and as fast as it answers while members sign in (`unlock+signin`).
#
#   scripts/bench-server.sh [sqlite] [postgres]     (default: both)
#
# Environment: SECONDS_PER_SCENARIO (10), CONNECTIONS (64),
# GATEHOUSE_BENCH_POSTGRES (postgres://postgres@127.0.0.1:5432), and the
# seed's size through SEED_ARGS (default: the issue's 100k members etc.).
# Results: target/bench/<backend>.jsonl, then scripts/bench-report.py writes
# the table and docs/benchmarks-latency.png.
set -euo pipefail
cd "$(dirname "$0")/.."

backends=("$@")
[ ${#backends[@]} -eq 0 ] && backends=(sqlite postgres)
seconds=${SECONDS_PER_SCENARIO:-10}
connections=${CONNECTIONS:-64}
postgres=${GATEHOUSE_BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432}
export GATEHOUSE_OWNER_PASSWORD='benchmark passphrase'

cargo build --release -p gatehouse -p gatehouse-load
bin=target/release
out=target/bench
mkdir -p "$out"

for backend in "${backends[@]}"; do
  data=$(mktemp -d)
  case "$backend" in
    sqlite) url="sqlite://$data/gatehouse.db"; disk_dir=$data ;;
    postgres)
      psql "$postgres/postgres" -qc 'DROP DATABASE IF EXISTS gatehouse_bench' -c 'CREATE DATABASE gatehouse_bench'
      url="$postgres/gatehouse_bench"
      disk_dir=$(psql "$postgres/postgres" -Atc 'SHOW data_directory' 2>/dev/null || echo "$data") ;;
    *) echo "unknown backend $backend" >&2; exit 2 ;;
  esac
  echo "== $backend: seeding"
  start=$(date +%s.%N)
  # shellcheck disable=SC2086
  "$bin/gatehouse" seed --data-dir "$data" --database-url "$url" ${SEED_ARGS:-}
  # printf: bc writes 0.5 as .5, which is not JSON.
  seeded=$(printf '%.3f' "$(echo "$(date +%s.%N) - $start" | bc)")
  # Start from a settled database, as a server long after an import would:
  # the seed's gigabytes flushed, so that no PostgreSQL checkpoint or kernel
  # writeback of them lands in the middle of a scenario.
  if [ "$backend" = postgres ]; then psql "$url" -qc CHECKPOINT; fi
  sync

  # The server's log goes to memory, not to the database's disk: /health
  # alone writes about 100 MB of request log, and the kernel writes that
  # back 30 s later in bursts of megabytes, which held a commit's flush for
  # 30-60 ms in a later scenario (seen with perf's block tracepoints; none
  # with the log in memory). A deployment keeps its logs off the database's
  # disk for the same reason (README, Configuration).
  logs=$(mktemp -d -p /dev/shm 2>/dev/null || mktemp -d)
  log="$logs/server.log"

  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  "$bin/gatehouse" serve --data-dir "$data" --database-url "$url" --listen "127.0.0.1:$port" \
    --rate-limit-per-second 0 >"$log" 2>&1 &
  server=$!
  trap 'kill $server 2>/dev/null || true; rm -rf "$logs"' EXIT
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done

  # One scenario: load arguments, then the name it is reported under.
  # Beside it, the longest time the database's disk held writes without
  # completing any, and the server's own latencies from its request log
  # (both after the load generator's 2 s of warm-up).
  measure() {
    local name=$1; shift
    echo "== $backend: $name"
    python3 scripts/disk-stalls.py "$disk_dir" "$seconds" 2 >"$data/disk.json" &
    local watcher=$!
    local log_offset started
    log_offset=$(stat -c %s "$log")
    started=$(date +%s.%N)
    "$bin/gatehouse-load" --url "http://127.0.0.1:$port" --manifest "$data/bench-manifest.json" \
      --connections "$connections" --seconds "$seconds" "$@" >"$data/load.json"
    wait "$watcher"
    sleep 0.5 # the log thread writes what is queued
    python3 scripts/request-latency.py "$log" "$log_offset" "$started" "$seconds" 2 >"$data/server.json"
    python3 -c "import json; r=json.load(open('$data/load.json')); r.update(json.load(open('$data/disk.json'))); r.update(json.load(open('$data/server.json'))); r['backend']='$backend'; r['scenario']='$name'; print(json.dumps(r))" \
      | tee -a "$out/$backend.jsonl"
  }
  : >"$out/$backend.jsonl"
  measure health --scenario health
  measure unlock --scenario unlock
  # Unlock at a quarter of this server's /health rate, paced: the latency
  # at the throughput the goal asks for, not at the server's most.
  quarter=$(python3 -c "import json; print(round(0.25 * next(json.loads(l)['rps'] for l in open('$out/$backend.jsonl') if json.loads(l)['scenario'] == 'health')))")
  measure unlock@25% --scenario unlock --rate "$quarter"
  # Unlock again while members sign in, 5 a second beside it: a sign-in
  # must not empty the caches every unlock relies on.
  "$bin/gatehouse-load" --url "http://127.0.0.1:$port" --manifest "$data/bench-manifest.json" \
    --connections 4 --seconds "$seconds" --rate 5 --scenario sign-in >/dev/null &
  signing_in=$!
  measure unlock+signin --scenario unlock
  wait "$signing_in"
  for scenario in card search create; do
    measure "$scenario" --scenario "$scenario"
  done
  measure signin --scenario sign-in
  rss_kb=$(awk '/VmHWM/ {print $2}' "/proc/$server/status")
  echo "{\"backend\": \"$backend\", \"scenario\": \"_server\", \"peak_rss_mb\": $((rss_kb / 1024)), \"seed_seconds\": $seeded}" \
    | tee -a "$out/$backend.jsonl"
  kill "$server"; wait "$server" 2>/dev/null || true
  trap - EXIT
  rm -rf "$data" "$logs"
  # The seeded database is gigabytes; the results are in $out.
  if [ "$backend" = postgres ]; then
    psql "$postgres/postgres" -qc 'DROP DATABASE gatehouse_bench'
  fi
done

python3 scripts/bench-report.py "$out" docs/benchmarks-latency.png
