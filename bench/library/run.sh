#!/usr/bin/env bash
# The library search benchmark: Relais's search module (Xapian) against SQLite FTS5,
# the same corpus, behind the same HTTP layer, in the same run. See bench/README.md.
#
#   bench/library/run.sh          builds relais_searchbench, makes the corpus if missing
#                                 (make-corpus.sh), indexes it with both engines, serves
#                                 each, replays the queries with facets and snippets, prints
#                                 a Markdown table and appends it to bench/RESULTS.md.
#
# Environment (defaults):
#   BUILD_DIR=build  CORPUS=bench/library/corpus.jsonl  QUERIES=bench/library/queries.txt
#   REQUESTS=2000    requests per measured round
#   CONNECTIONS="1 4"  concurrent keep-alive connections, one round each
#   ROUNDS=2         rounds per engine and connection count, alternated (noisy machine)
#   RESULTS=bench/RESULTS.md  where the table is appended (/dev/null: nowhere)
#   NO_BUILD=1       use the binary as it is
#   BEFORE=path/to/relais_searchbench  an older build of the benchmark (e.g. of the commit
#                    before a change to the search): its Xapian engine is indexed, served
#                    and measured in the same run, as a third column
#   BEFORE_LABEL=…   how RESULTS.md names it (default: its path)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
build="${BUILD_DIR:-$root/build}"
bin="$build/bench/relais_searchbench"
corpus="${CORPUS:-$here/corpus.jsonl}"
queries="${QUERIES:-$here/queries.txt}"
requests="${REQUESTS:-2000}"
connections="${CONNECTIONS:-1 4}"
rounds="${ROUNDS:-2}"
results="${RESULTS:-$root/bench/RESULTS.md}"
before="${BEFORE:-}"
engines="xapian fts5"
[[ -z "$before" ]] || engines="xapian before fts5"
bin_of() { if [[ "$1" == before ]]; then echo "$before"; else echo "$bin"; fi; }
engine_of() { if [[ "$1" == before ]]; then echo xapian; else echo "$1"; fi; }

[[ -n "${NO_BUILD:-}" ]] || cmake --build "$build" --target relais_searchbench
[[ -s "$corpus" ]] || "$here/make-corpus.sh" "$corpus"

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
raw="$work/raw.jsonl"

echo "# indexing $(wc -l <"$corpus") passages" >&2
for r in $(seq "$rounds"); do
  for engine in $engines; do
    line=$("$(bin_of "$engine")" index --engine "$(engine_of "$engine")" --corpus "$corpus" --dir "$work/$engine" \
      --synonyms "$root/seed-content/synonymes.txt")
    line=${line/\"engine\":\"xapian\"/\"engine\":\"$engine\"}  # "before" is a Xapian engine too
    echo "{\"phase\":\"index\",\"round\":$r,${line:1}" >>"$raw"
    echo "$line" >&2
  done
done

port_of() {  # waits for "port N" in the server's output
  for _ in $(seq 100); do
    if grep -q '^port ' "$1"; then awk '/^port /{print $2}' "$1"; return; fi
    sleep 0.1
  done
  echo "server did not start: $(cat "$1")" >&2
  exit 1
}
declare -A port
for engine in $engines; do
  "$(bin_of "$engine")" serve --engine "$(engine_of "$engine")" --dir "$work/$engine" --synonyms "$root/seed-content/synonymes.txt" \
    >"$work/$engine.out" 2>&1 &
  pids+=($!)
  port[$engine]=$(port_of "$work/$engine.out")
done
# Warm-up: each engine answers every query once (page cache, facet tables).
for engine in $engines; do
  "$bin" load --port "${port[$engine]}" --queries "$queries" --requests 200 --connections 1 >/dev/null
done
for c in $connections; do
  for r in $(seq "$rounds"); do
    for engine in $engines; do
      line=$("$bin" load --port "${port[$engine]}" --queries "$queries" --requests "$requests" --connections "$c")
      echo "{\"phase\":\"search\",\"engine\":\"$engine\",\"connections\":$c,\"round\":$r,${line:1}" >>"$raw"
      echo "$engine c=$c $line" >&2
    done
  done
done

commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
dirty=$(git -C "$root" status --porcelain 2>/dev/null | grep -qv '^??' && echo " (with uncommitted changes)" || true)
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
python3 - "$raw" "$results" "$load_before" "$commit$dirty" "$(nproc)" "$cpu" "$(uname -r)" "$(wc -l <"$corpus")" "$requests" \
  "$(grep -cv '^#' "$queries")" "${queries#"$root/"}" "${BEFORE_LABEL:-$before}" <<'PY'
import json, sys, statistics, datetime
raw, results, load, commit, cores, cpu, kernel, passages, requests, nqueries, qfile, before = sys.argv[1:]
rows = [json.loads(l) for l in open(raw)]
def med(xs): return statistics.median(xs) if xs else float('nan')
engines = ["xapian"] + (["before"] if before else []) + ["fts5"]
names = {"xapian": "Relais (Xapian)", "before": "Relais before", "fts5": "SQLite FTS5"}
idx = {e: med([r["passages_per_s"] for r in rows if r["phase"] == "index" and r["engine"] == e]) for e in engines}
out = []
now = datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M UTC")
out.append(f"\n## Library search — {now}\n")
out.append(f"Machine: {cores} cores, {cpu}, kernel {kernel}; load average before the run: {load}. Relais {commit}.\n")
if before:
    out.append(f"Relais before: {before} (its own index, served and measured in the same run).\n")
out.append(f"Corpus: {passages} passages of French text from Debian's documentation packages (bench/library/make-corpus.sh), "
           f"with synthetic multi-valued facets. Queries: {qfile} ({nqueries} queries) × a fixed rotation of facet "
           f"filters (none, kind, phase, two missions, year); {requests} requests per round; every answer has the total, "
           f"10 hits with highlighted snippets and the facet counts. Medians of the rounds; engines alternated. "
           f"\"Questions\": the requests whose query is a question or a long query (read by relevance since issue 13), "
           f"\"keywords\": the others.\n")
head = "| Measure | " + " | ".join(names[e] for e in engines) + " | Relais ÷ FTS5 |" + (" Relais ÷ before |" if before else "")
out.append(head)
out.append("|---|" + "---:|" * (len(engines) + 1 + (1 if before else 0)))
def row(label, values):
    x, f = values["xapian"], values["fts5"]
    cells = " | ".join(f"{values[e]:.2f}" if label != "Indexing, passages/s" else f"{values[e]:.0f}" for e in engines)
    line = f"| {label} | {cells} | ×{x/f:.2f} |"
    if before: line += f" ×{x/values['before']:.2f} |"
    out.append(line)
row("Indexing, passages/s", idx)
conns = sorted({r["connections"] for r in rows if r["phase"] == "search"})
for c in conns:
    s = {e: [r for r in rows if r["phase"] == "search" and r["engine"] == e and r["connections"] == c] for e in engines}
    plural = 's' if c > 1 else ''
    for key, label in (("p50_ms", "p50 ms"), ("p99_ms", "p99 ms"), ("rps", "requests/s")):
        row(f"Search over HTTP, {c} connection{plural}, {label}", {e: med([r[key] for r in s[e]]) for e in engines})
    for part in ("questions", "keywords"):
        if not all(r.get(part) for e in engines for r in s[e]): continue
        for key, label in (("p50_ms", "p50 ms"), ("p99_ms", "p99 ms")):
            row(f"… {part}, {c} connection{plural}, {label}", {e: med([r[part][key] for r in s[e]]) for e in engines})
errors = sum(r.get("errors", 0) for r in rows if r["phase"] == "search")
out.append(f"\nErrors: {errors}. Targets: indexing ≥ 5000 passages/s; search p99 < 5 ms; never slower than FTS5.\n")
out.append("<details><summary>Raw results</summary>\n\n```")
out += [json.dumps(r) for r in rows]
out.append("```\n</details>\n")
text = "\n".join(out)
print(text)
with open(results, "a") as f: f.write(text + "\n")
PY
