#!/usr/bin/env bash
# The expertise-map benchmark (issue 11): directory search and need matching over 10,000
# people and 50,000 expertise entries, over HTTP, Relais against the same data and the same
# queries in SQLite FTS5 behind the same HTTP layer. See bench/README.md.
#
#   bench/expertise/run.sh    builds relais and relais_expertisebench, loads the generated
#                             data into a real Relais over HTTP (load.mjs; kept in $DATA for
#                             the next runs), builds the FTS5 peer from the same data, checks
#                             that both answer alike (compare.py), replays the queries, prints a
#                             Markdown table and appends it to bench/RESULTS.md.
#
# Environment (defaults):
#   BUILD_DIR=build      REQUESTS=2000 (per measured round)   CONNECTIONS="1 4"   ROUNDS=2
#   PEOPLE=10000 ENTRIES=50000 ORGS=150 NEEDS=200 SEED=relais-expertise-1
#   DATA=$BUILD_DIR/bench/expertise-data   the loaded data, reused while the generator, the
#                        sizes and the seed are the same and it is less than 20 days old
#   FRESH=1              load again anyway
#   RESULTS=bench/RESULTS.md  where the table is appended (/dev/null: nowhere)
#   NO_BUILD=1           use the binaries as they are
#   KEEP=1               keep the temporary folder (server logs, databases)
#   PERF=1               also record a CPU profile of Relais (perf, cpu-clock) during one
#                        directory and one matching round at 1 connection: $DATA/perf-*.txt
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
build="${BUILD_DIR:-$root/build}"
[[ "$build" = /* ]] || build="$root/$build"
relais="$build/relais"
bench="$build/bench/relais_expertisebench"
requests="${REQUESTS:-2000}"
connections="${CONNECTIONS:-1 4}"
rounds="${ROUNDS:-2}"
results="${RESULTS:-$root/bench/RESULTS.md}"
people="${PEOPLE:-10000}" entries="${ENTRIES:-50000}" orgs="${ORGS:-150}" needs="${NEEDS:-200}"
seed="${SEED:-relais-expertise-1}"
cache="${DATA:-$build/bench/expertise-data}"

[[ -n "${NO_BUILD:-}" ]] || CCACHE_BASEDIR="${CCACHE_BASEDIR:-$(dirname "$root")}" cmake --build "$build" --parallel 2 --target relais relais_expertisebench
for tool in node sqlite3 python3; do command -v "$tool" >/dev/null || { echo "$tool is needed" >&2; exit 1; }; done

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [[ -n "${KEEP:-}" ]]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

# ---- The data: generated and loaded over HTTP once, then reused.
stamp="seed=$seed people=$people entries=$entries orgs=$orgs needs=$needs generator=$(cat "$here/generate.mjs" "$here/load.mjs" | sha256sum | cut -c1-16)"
if [[ -n "${FRESH:-}" || ! -f "$cache/stamp" || "$(cat "$cache/stamp")" != "$stamp" || -n "$(find "$cache/stamp" -mtime +20)" ]]; then
  echo "# loading $people people and $entries entries into Relais over HTTP (a few minutes)" >&2
  rm -rf "$cache"
  mkdir -p "$cache"
  nice -n 5 node "$here/load.mjs" --relais "$relais" --data-dir "$cache/relais" --out "$cache/out" --seed "$seed" \
    --people "$people" --entries "$entries" --orgs "$orgs" --needs "$needs" >"$cache/load.json"
  # Confirmation dates: the API stamps "now"; spread them over the last 30 months.
  sqlite3 "$cache/relais/relais.db" <"$cache/out/backdate.sql"
  echo "$stamp" >"$cache/stamp"
fi
cat "$cache/load.json" >&2
cookie=$(cat "$cache/out/cookie")
sees=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["viewer"]["sees"])' "$cache/load.json")

# ---- The two servers, on copies (a server writes to its folder).
cp -a "$cache/relais" "$work/relais"
raw="$work/raw.jsonl"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
line=$("$bench" index --data "$cache/out/data.jsonl" --db "$work/fts5.db")
echo "{\"phase\":\"fts5_index\",${line:1}" >>"$raw"

"$relais" serve --data-dir "$work/relais" --listen 127.0.0.1:0 \
  --set limits.requests_per_second_per_address=100000 --set limits.request_burst_per_address=100000 \
  >"$work/relais.log" 2>&1 &
relais_pid=$!
pids+=("$relais_pid")
"$bench" serve --db "$work/fts5.db" >"$work/fts5.log" 2>&1 &
fts5_pid=$!
pids+=("$fts5_pid")
declare -A port pid
pid[relais]=$relais_pid
pid[fts5]=$fts5_pid
for _ in $(seq 200); do
  port[relais]=$(grep -o 'listening on http://127.0.0.1:[0-9]*' "$work/relais.log" | head -n1 | sed 's/.*://' || true)
  port[fts5]=$(awk '/^port /{print $2; exit}' "$work/fts5.log")
  [[ -n "${port[relais]}" && -n "${port[fts5]}" ]] && break
  sleep 0.1
done
[[ -n "${port[relais]}" && -n "${port[fts5]}" ]] || { echo "a server did not start" >&2; tail "$work/relais.log" "$work/fts5.log" >&2; exit 1; }
# Relais's directory index holds everyone the member may see (no rebuild under way).
for i in $(seq 600); do
  total=$(curl -s -H "Cookie: $cookie" "http://127.0.0.1:${port[relais]}/api/expertise/people?limit=1" |
    python3 -c 'import json,sys; print(json.load(sys.stdin).get("total", -1))' 2>/dev/null || echo -1)
  [[ "$total" == "$sees" ]] && break
  [[ $i == 600 ]] && { echo "Relais's index has $total people, expected $sees" >&2; exit 1; }
  sleep 0.5
done

# ---- Same answers?
python3 "$here/compare.py" "${port[relais]}" "${port[fts5]}" "$cookie" "$cache/out/directory.txt" "$cache/out/proposals.txt" >"$work/compare.json"
echo "{\"phase\":\"compare\",$(cut -c2- "$work/compare.json")" >>"$raw"
cat "$work/compare.json" >&2

# ---- Measure.
ticks=$(getconf CLK_TCK)
cpu_of() { awk '{print $14 + $15}' "/proc/$1/stat"; }
measure() {  # engine kind connections round requests
  local engine=$1 kind=$2 c=$3 r=$4 n=$5 before after line
  before=$(cpu_of "${pid[$engine]}")
  line=$("$bench" load --port "${port[$engine]}" --targets "$cache/out/$kind.txt" --cookie "$cookie" --requests "$n" --connections "$c")
  after=$(cpu_of "${pid[$engine]}")
  local cpu_ms
  cpu_ms=$(python3 -c "print(round(($after - $before) * 1000 / $ticks / $n, 3))")
  echo "{\"phase\":\"query\",\"engine\":\"$engine\",\"kind\":\"$kind\",\"connections\":$c,\"round\":$r,\"cpu_ms_per_request\":$cpu_ms,${line:1}" >>"$raw"
  echo "$engine $kind c=$c r=$r cpu_ms/req=$cpu_ms $line" >&2
}
# Warm-up: every target once on each side (page cache, statements, readers).
for engine in relais fts5; do
  for kind in directory proposals; do
    "$bench" load --port "${port[$engine]}" --targets "$cache/out/$kind.txt" --cookie "$cookie" \
      --requests "$(wc -l <"$cache/out/$kind.txt")" --connections 1 >/dev/null
  done
done
for c in $connections; do
  for r in $(seq "$rounds"); do
    for engine in relais fts5; do
      for kind in directory proposals; do measure "$engine" "$kind" "$c" "$r" "$requests"; done
    done
  done
done

if [[ -n "${PERF:-}" ]]; then
  for kind in directory proposals; do
    perf record -F 999 -e cpu-clock -g -p "$relais_pid" -o "$work/perf-$kind.data" -- \
      "$bench" load --port "${port[relais]}" --targets "$cache/out/$kind.txt" --cookie "$cookie" --requests "$requests" --connections 1 \
      >/dev/null 2>"$work/perf-$kind.err" || true
    perf report -i "$work/perf-$kind.data" --no-children --percent-limit 0.5 --stdio 2>/dev/null | grep -v '^$' | head -n 400 >"$cache/perf-$kind.txt" || true
    perf report -i "$work/perf-$kind.data" --children --percent-limit 1 --stdio -g none 2>/dev/null | grep -v '^$' | head -n 200 >"$cache/perf-$kind-children.txt" || true
    echo "# profile: $cache/perf-$kind.txt, $cache/perf-$kind-children.txt" >&2
  done
fi

# ---- Report.
commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
dirty=$(git -C "$root" status --porcelain 2>/dev/null | grep -qv '^??' && echo " (with uncommitted changes)" || true)
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
python3 - "$raw" "$results" "$load_before" "$commit$dirty" "$(nproc)" "$cpu" "$(uname -r)" "$cache/load.json" "$requests" <<'PY'
import json, sys, statistics, datetime
raw, results, load, commit, cores, cpu, kernel, load_json, requests = sys.argv[1:]
rows = [json.loads(l) for l in open(raw)]
data = json.load(open(load_json))
def med(xs): return statistics.median(xs) if xs else float('nan')
now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
fts_index = next(r for r in rows if r["phase"] == "fts5_index")
cmp = next(r for r in rows if r["phase"] == "compare")
out = [f"\n## Expertise map — {now}\n"]
out.append(f"Machine: {cores} cores, {cpu}, kernel {kernel}; load average before the run: {load}. Relais {commit}.\n")
out.append(f"Data (bench/expertise/generate.mjs, seed `{data['seed']}`): {data['orgs']} organisations, {data['people']} people "
           f"({data['consenting']} who agreed to appear), {data['entries']} expertise entries ({data['validated']} validated, "
           f"{data['stale']} stale), {data['needs']} needs ({data['assigned']} assigned). Loaded into Relais over HTTP by "
           f"bench/expertise/load.mjs ({data['writes_per_s']} writes/s: people, entries and validations, 4 connections); "
           f"the FTS5 peer builds its database from the same data in {fts_index['seconds']:.1f} s. Queries as a member of "
           f"{data['viewer']['org']} (who sees {data['viewer']['sees']} people: audience filter). Directory: 30 queries "
           f"(words, phrases, accent-free words, names, towns, none) × 8 filter sets (domain, level, département, région), "
           f"limit 20, with facet counts; matching: the proposals of the {data['needs']} needs (1–3 domains). {requests} "
           f"requests per round, latency from writing the request to reading the whole answer; engines alternated, "
           f"medians of the rounds. CPU = server CPU time per request.\n")
out.append("| Measure | Relais | SQLite FTS5 | Relais ÷ FTS5 |")
out.append("|---|---:|---:|---:|")
q = [r for r in rows if r["phase"] == "query"]
verdicts = []
for kind, label in (("directory", "Directory"), ("proposals", "Matching")):
    for c in sorted({r["connections"] for r in q}):
        s = {e: [r for r in q if r["engine"] == e and r["kind"] == kind and r["connections"] == c] for e in ("relais", "fts5")}
        for key, name in (("p50_ms", "p50 ms"), ("p90_ms", "p90 ms"), ("p99_ms", "p99 ms"), ("max_ms", "max ms"),
                          ("rps", "requests/s"), ("cpu_ms_per_request", "CPU ms/request")):
            x, f = med([r[key] for r in s["relais"]]), med([r[key] for r in s["fts5"]])
            ratio = f"×{x / f:.2f}" if f else "–"
            out.append(f"| {label}, {c} connection{'s' if c > 1 else ''}, {name} | {x:.2f} | {f:.2f} | {ratio} |")
        p99 = med([r["p99_ms"] for r in s["relais"]])
        verdicts.append(f"{label.lower()} at {c} connection{'s' if c > 1 else ''}: p99 {p99:.2f} ms, **{'met' if p99 < 10 else 'MISSED'}**")
errors = sum(r.get("errors", 0) for r in q)
dw, df, pm = cmp["directory_words"], cmp["directory_filters_only"], cmp["proposals"]
out.append(f"\nSame answers (compare.py, every target once): matching, {pm['identical']} of {pm['needs']} proposal lists identical "
           f"(people, order, scores, reasons); directory without words, {df['same_total']} of {df['queries']} same totals and "
           f"{df['same_facets']} same facet counts; with words, {dw['same_total']} of {dw['queries']} same totals (Xapian stems "
           f"French words, FTS5 does not), {dw['relais_empty']} empty answers from Relais and {dw['fts5_empty']} from FTS5. Errors: {errors}.\n")
out.append("Target (issue 11): p99 under 10 ms over HTTP — " + "; ".join(verdicts) + ".\n")
out.append("<details><summary>Raw results</summary>\n\n```")
out.append(json.dumps({"phase": "load", **data}))
out += [json.dumps(r) for r in rows]
out.append("```\n</details>\n")
text = "\n".join(out)
print(text)
with open(results, "a") as f: f.write(text + "\n")
PY
