#!/usr/bin/env bash
# The watch's feed parser against Debian's python3-feedparser, on the same corpus, in one
# run (bench/watch/README.md). Appends a table to bench/RESULTS.md.
#
#   bench/watch/run.sh            builds relais_watch_parsebench, writes the corpus (2000
#                                 feeds, deterministic) in a temporary folder, runs both
#   COUNT=500 bench/watch/run.sh  a smaller corpus
#   RESULTS=/dev/null             print only
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"
BUILD_DIR=${BUILD_DIR:-build}
COUNT=${COUNT:-2000}
RESULTS=${RESULTS:-$root/bench/RESULTS.md}

if ! /usr/bin/python3 -c 'import feedparser' 2>/dev/null; then
  echo "run.sh: python3-feedparser is needed (apt install python3-feedparser)" >&2
  exit 1
fi
cmake --build "$BUILD_DIR" --target relais_watch_parsebench >&2
work=$(mktemp -d -t relais-watchbench.XXXXXX)
trap 'rm -rf "$work"' EXIT
/usr/bin/python3 "$here/make_corpus.py" "$work/corpus" "$COUNT"
size=$(du -sm "$work/corpus" | cut -f1)
load=$(cut -d' ' -f1-3 /proc/loadavg)
relais=$("$BUILD_DIR/bench/relais_watch_parsebench" "$work/corpus")
peer=$(/usr/bin/python3 "$here/feedparser_bench.py" "$work/corpus")
machine="$(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1), kernel $(uname -r)"
commit="$(git rev-parse --short HEAD)$(git diff --quiet HEAD || echo ' (with uncommitted changes)')"
table=$(node - "$relais" "$peer" <<'JS'
const [a, b] = process.argv.slice(2).map((s) => JSON.parse(s));
const r = (x, y) => `×${(x / y).toFixed(2)}`;
console.log('| Parser | Files | Items | Files refused | Seconds | Items/s | Peak RSS MiB |');
console.log('|---|---:|---:|---:|---:|---:|---:|');
for (const x of [a, b]) console.log(`| ${x.parser} | ${x.files} | ${x.items} | ${x.failed} | ${x.seconds} | ${x.items_per_s} | ${(x.peak_rss_kb / 1024).toFixed(0)} |`);
console.log(`| Relais ÷ feedparser | | | | ${r(a.seconds, b.seconds)} | ${r(a.items_per_s, b.items_per_s)} | ${r(a.peak_rss_kb, b.peak_rss_kb)} |`);
JS
)
{
  echo
  echo "## Watch feed parsing — $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "Machine: $machine; load average before the run: $load. Relais $commit; $(/usr/bin/python3 --version), feedparser from Debian."
  echo
  echo "Corpus: $COUNT feeds from bench/watch/make_corpus.py (${size} MB; RSS 2.0, Atom, RSS 1.0, JSON Feed). One thread each, files in memory, parsing only (both sanitise HTML and resolve links)."
  echo
  echo "$table"
  echo
  echo "Raw: \`$relais\` \`$peer\`"
} | tee -a "$RESULTS"
