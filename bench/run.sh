#!/usr/bin/env bash
# Relais against the Node reference relay (bench/node-relay): the same scenarios against
# both servers in one run, on this machine, side by side. See bench/README.md.
#
#   bench/run.sh            builds `cmake --build build --target relais relais_loadgen`
#                           (nothing else: configure the build directory yourself first),
#                           runs the scenarios, prints a Markdown table and appends it to
#                           bench/RESULTS.md with the date and the machine.
#   NO_BUILD=1 bench/run.sh uses the binaries as they are.
#
# Scenarios (each against a fresh server: new temporary data folder, new process):
#   a     1000 participants in 50 rooms of 20, 1 note/s each
#   b     one room of 300, 0.25 note/s each (the board's 2000-note cap allows no more)
#   ramp  $RAMP participants in rooms of $RAMP_ROOM at $RAMP_RATE note/s each, to find
#         saturation: p99 latency > 250 ms or delivered/expected < 95 %
#
# Environment (defaults):
#   BUILD_DIR=build  RELAIS=$BUILD_DIR/relais  LOADGEN=$BUILD_DIR/bench/relais_loadgen
#   DURATION=15  WARMUP=5  DRAIN=5       measured window, sending before it, wait after it (s)
#   RAMP="400 800 1600 3200"  RAMP_ROOM=20  RAMP_RATE=1
#   SCENARIOS="a b ramp"                 a subset to run
#   THREADS=                             loadgen io threads (default: its own, min(2, cores))
#   RESULTS=bench/RESULTS.md             where the table is appended (/dev/null: nowhere)
#   KEEP=1                               keep the temporary folder (server logs, raw results)
#   NOTE="…"                             a remark recorded with the results
#   RELAIS_COMMIT=abc1234                the commit RELAIS was built from, when it is not
#                                        this checkout's HEAD (a "before" binary)
#   RELAY_LOG=1                          the relay appends each note to a file and broadcasts
#                                        it once fdatasync'ed (group commit), as Relais does
#
# The whole default run takes 5 to 8 minutes (5 on the first recorded run).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
cd "$root"

BUILD_DIR=${BUILD_DIR:-build}
RELAIS=${RELAIS:-$BUILD_DIR/relais}
LOADGEN=${LOADGEN:-$BUILD_DIR/bench/relais_loadgen}
DURATION=${DURATION:-15}
WARMUP=${WARMUP:-5}
DRAIN=${DRAIN:-5}
RAMP=${RAMP:-400 800 1600 3200}
RAMP_ROOM=${RAMP_ROOM:-20}
RAMP_RATE=${RAMP_RATE:-1}
SCENARIOS=${SCENARIOS:-a b ramp}
RESULTS=${RESULTS:-$here/RESULTS.md}

log() { printf '\n\033[1m== %s\033[0m\n' "$*" >&2; }
die() { echo "run.sh: $*" >&2; exit 1; }

# ---- scenarios: "label|rooms|per_room|rate" -------------------------------------
scenarios=()
for s in $SCENARIOS; do
    case $s in
        a) scenarios+=("a: 1000 in 50 rooms of 20|50|20|1") ;;
        b) scenarios+=("b: 1 room of 300 at 0.25/s|1|300|0.25") ;;
        ramp) for n in $RAMP; do
                  (( n % RAMP_ROOM == 0 )) || die "RAMP step $n is not a multiple of RAMP_ROOM=$RAMP_ROOM"
                  scenarios+=("ramp: $n in rooms of $RAMP_ROOM at $RAMP_RATE/s|$((n / RAMP_ROOM))|$RAMP_ROOM|$RAMP_RATE")
              done ;;
        *) die "unknown scenario $s (a, b, ramp)" ;;
    esac
done
most=0
for s in "${scenarios[@]}"; do
    IFS='|' read -r _ rooms per _ <<<"$s"
    if (( rooms * per > most )); then most=$((rooms * per)); fi
done

# ---- prerequisites ---------------------------------------------------------------
# Each participant is one socket in the load generator and one in the server.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
(( $(ulimit -n) >= most + 512 )) || die "ulimit -n is $(ulimit -n): too low for $most participants"

if [[ -z ${NO_BUILD:-} ]]; then
    log "cmake --build $BUILD_DIR --target relais relais_loadgen"
    cmake --build "$BUILD_DIR" --target relais relais_loadgen
fi
[[ -x $RELAIS ]] || die "no Relais binary at $RELAIS"
[[ -x $LOADGEN ]] || die "no load generator at $LOADGEN"
command -v node >/dev/null || die "node is needed for the reference relay"
if [[ ! -d $here/node-relay/node_modules/ws ]]; then
    log "npm ci (bench/node-relay)"
    (cd "$here/node-relay" && npm ci --no-audit --no-fund)
fi

work=$(mktemp -d -t relais-bench.XXXXXX)
server_pid=
cleanup() {
    if [[ -n $server_pid ]]; then kill -KILL "$server_pid" 2>/dev/null || true; fi
    if [[ -n ${KEEP:-} ]]; then echo "run.sh: kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

# ---- servers ------------------------------------------------------------------
# Each sets server_pid, port and password (Relais only).
wait_for_port() {  # log-file sed-expression
    for _ in $(seq 300); do
        port=$(sed -n "$2" "$1" | head -n 1)
        [[ -n $port ]] && return 0
        kill -0 "$server_pid" 2>/dev/null || { cat "$1" >&2; die "server exited at start"; }
        sleep 0.1
    done
    die "server did not start: $1"
}

start_relais() {  # dir
    # Room for every participant of the largest step (all from 127.0.0.1), and the set-up.
    local conns=$(( most + 512 > 5000 ? most + 512 : 5000 ))
    "$RELAIS" serve --data-dir "$1/data" --listen 127.0.0.1:0 \
        --set limits.ws_messages_per_second=1000 --set limits.ws_message_burst=1000 \
        --set limits.max_connections_per_address=$conns --set limits.max_connections=$conns \
        --set limits.requests_per_second_per_address=100000 --set limits.request_burst_per_address=100000 \
        --set limits.guests_per_invite=100000 --set limits.guest_joins_per_hour_per_address=1000000 \
        --set limits.ws_ops_per_second_per_room=100000 --set limits.ws_op_burst_per_room=100000 \
        --set limits.max_pending_connections=$conns --set limits.max_pending_connections_per_address=$conns \
        >"$1/server.log" 2>&1 &
    server_pid=$!
    wait_for_port "$1/server.log" 's|^Relais listening on http://127\.0\.0\.1:\([0-9]*\).*|\1|p'
    password=$(sed -n 's/^Mot de passe : //p' "$1/data/premier-acces.txt")
    [[ -n $password ]] || die "no admin password in $1/data/premier-acces.txt"
}

start_relay() {  # dir
    local log=()
    if [[ -n ${RELAY_LOG:-} ]]; then log=("$1/relay.log"); fi
    node "$here/node-relay/relay.mjs" 0 "${log[@]}" >"$1/server.log" 2>&1 &
    server_pid=$!
    wait_for_port "$1/server.log" 's/^listening on \([0-9]*\)$/\1/p'
    password=
}

stop_server() {
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=
}

# ---- runs ------------------------------------------------------------------------
results=$work/results.jsonl
: >"$results"
started=$(date -u '+%Y-%m-%d %H:%M UTC')
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
i=0
for s in "${scenarios[@]}"; do
    IFS='|' read -r label rooms per rate <<<"$s"
    for target in relais relay; do
        i=$((i + 1))
        dir=$work/$i-$target
        mkdir -p "$dir"
        log "$label — $target"
        "start_$target" "$dir"
        args=(--target "$target" --port "$port" --rooms "$rooms" --per-room "$per" --rate "$rate"
              --duration "$DURATION" --warmup "$WARMUP" --drain "$DRAIN" --connect-rate 1000
              --server-pid "$server_pid" --label "$label")
        if [[ -n $password ]]; then args+=(--admin-password "$password"); fi
        if [[ -n ${THREADS:-} ]]; then args+=(--threads "$THREADS"); fi
        if "$LOADGEN" "${args[@]}" >"$dir/result.json" && [[ -s $dir/result.json ]]; then
            cat "$dir/result.json" >>"$results"
        else
            echo "{\"target\":\"$target\",\"label\":\"$label\",\"failed\":true}" >>"$results"
        fi
        kill -0 "$server_pid" 2>/dev/null || echo "run.sh: the $target server died during the run" >&2
        stop_server
    done
done

# ---- report ------------------------------------------------------------------------
machine="$(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1), kernel $(uname -r)"
commit="${RELAIS_COMMIT:-}"
[[ -n $commit ]] || commit="$(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD 2>/dev/null || echo ' (with uncommitted changes)')"
table=$(node - "$results" <<'JS'
// Reads the load generator's JSON lines; writes a Markdown table, Relais and the relay side by side.
const fs = require('fs');
const runs = fs.readFileSync(process.argv[2], 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
const labels = [...new Set(runs.map((r) => r.label))];
const pick = (label, target) => runs.find((r) => r.label === label && r.target === target);
const num = (v, d = 0) => (typeof v === 'number' && isFinite(v) ? v.toFixed(d) : '–');
const ratio = (a, b) => (typeof a === 'number' && typeof b === 'number' && b > 0 ? `×${(a / b).toFixed(2)}` : '–');
const get = (r, path) => path.split('.').reduce((o, k) => (o == null ? undefined : o[k]), r);
const pair = (a, b, path, d = 0, withRatio = false) => {
  const x = get(a, path), y = get(b, path);
  return `${num(x, d)} / ${num(y, d)}` + (withRatio ? ` (${ratio(x, y)})` : '');
};
const cpuPerK = (r) => (r?.server && r.delivered > 0 ? (r.server.cpu_pct / 100) * r.duration_s * 1e6 / r.delivered : undefined);
const mib = (r) => (r?.server?.vm_hwm_kb > 0 ? r.server.vm_hwm_kb / 1024 : undefined);
const verdict = (r) => (!r || r.failed ? 'failed' : r.saturated ? '**saturated**' : 'ok');
const lines = [
  '| Scenario | Expected events/s | Delivered events/s | Delivered % | Latency p50 ms | Latency p99 ms | Latency max ms | Ack p50 ms | Ack p99 ms | Server CPU % | CPU ms per 1000 events | Peak RSS MiB | Load generator CPU % | Machine busy % | Join + settle s | Verdict |',
  '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
];
const problems = [];
for (const label of labels) {
  const a = pick(label, 'relais'), b = pick(label, 'relay');
  const pct = (r) => (r && !r.failed ? r.delivery_ratio * 100 : undefined);
  const join = (r) => (r && !r.failed ? r.connect_s + r.settle_s : undefined);
  lines.push(`| ${label} | ${num(a?.expected_per_s ?? b?.expected_per_s)} | ${pair(a, b, 'events_per_s', 0, true)} | ` +
    `${num(pct(a), 1)} / ${num(pct(b), 1)} | ${pair(a, b, 'latency_ms.p50', 1, true)} | ${pair(a, b, 'latency_ms.p99', 1, true)} | ` +
    `${pair(a, b, 'latency_ms.max', 0)} | ${pair(a, b, 'ack_ms.p50', 1)} | ${pair(a, b, 'ack_ms.p99', 1)} | ${pair(a, b, 'server.cpu_pct', 0, true)} | ` +
    `${num(cpuPerK(a), 1)} / ${num(cpuPerK(b), 1)} (${ratio(cpuPerK(a), cpuPerK(b))}) | ${num(mib(a))} / ${num(mib(b))} (${ratio(mib(a), mib(b))}) | ` +
    `${pair(a, b, 'loadgen_cpu_pct')} | ${pair(a, b, 'machine_busy_pct')} | ${num(join(a), 1)} / ${num(join(b), 1)} | ${verdict(a)} / ${verdict(b)} |`);
  for (const r of [a, b]) {
    if (!r || r.failed) { problems.push(`- ${label}, ${r?.target ?? '?'}: the load generator failed (see its output)`); continue; }
    const bad = [];
    if (r.connected < r.participants) bad.push(`${r.participants - r.connected} never joined`);
    if (r.disconnects) bad.push(`${r.disconnects} disconnected during the run (${JSON.stringify(r.failures)})`);
    if (r.seq_gaps || r.seq_dups) bad.push(`seq gaps ${r.seq_gaps}, duplicates ${r.seq_dups}`);
    if (r.resyncs) bad.push(`${r.resyncs} resync`);
    if (Object.keys(r.errors).length) bad.push(`errors ${JSON.stringify(r.errors)}`);
    if (bad.length) problems.push(`- ${label}, ${r.target}: ${bad.join('; ')}`);
  }
}
const ramp = labels.filter((l) => l.startsWith('ramp'));
if (ramp.length) {
  lines.push('');
  for (const target of ['relais', 'relay']) {
    const steps = ramp.map((l) => pick(l, target)).filter(Boolean);
    const first = steps.find((r) => r.failed || r.saturated);
    const lastOk = [...steps].reverse().find((r) => !r.failed && !r.saturated && (!first || r.participants < first.participants));
    const name = target === 'relais' ? 'Relais' : 'Node relay';
    lines.push(first
      ? `${name}: saturated at ${first.participants} participants (${num(first.expected_per_s)} events/s expected)` +
        (lastOk ? `; fine at ${lastOk.participants} (${num(lastOk.events_per_s)} events/s, p99 ${num(lastOk.latency_ms.p99, 1)} ms).` : '.')
      : `${name}: no saturation up to ${steps.at(-1)?.participants} participants (${num(steps.at(-1)?.events_per_s)} events/s).`);
    lines.push('');
  }
}
if (problems.length) lines.push('Problems seen:', '', ...problems);
console.log(lines.join('\n').trimEnd());
JS
)

relay_kind=""
if [[ -n ${RELAY_LOG:-} ]]; then relay_kind=" The relay is DURABLE in this run (RELAY_LOG=1): each note appended to a file and broadcast once fdatasync'ed, one fsync per group, as Relais."; fi
summary="Relais / Node relay in each cell; (×r) = Relais ÷ relay. Window ${DURATION} s after ${WARMUP} s of warm-up; latency = send to delivery at every other participant of the room; ack = Relais ack, relay echo to the sender; CPU = server utime+stime over the window (100 % = one core); peak RSS = VmHWM from the joins to the end of the window.$relay_kind"
echo
echo "$table"
echo
if [[ $RESULTS != /dev/null ]]; then
    [[ -s $RESULTS ]] || printf '# Benchmark results\n\nAppended by bench/run.sh; see bench/README.md for what is measured and how to read it.\n' >"$RESULTS"
    {
        echo
        echo "## $started"
        echo
        echo "Machine: $machine; load average before the run: $load_before. Relais $commit; Node $(node --version), ws $(node -p "require('$here/node-relay/node_modules/ws/package.json').version")."
        echo
        echo "$summary"
        echo
        if [[ -n ${NOTE:-} ]]; then echo "Note: $NOTE"; echo; fi
        echo "$table"
        echo
        echo "<details><summary>Raw results (one JSON line per run)</summary>"
        echo
        echo '```'
        cat "$results"
        echo '```'
        echo
        echo "</details>"
    } >>"$RESULTS"
    echo "run.sh: appended to $RESULTS" >&2
fi
