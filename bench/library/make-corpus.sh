#!/usr/bin/env bash
# Build a benchmark corpus of real French text from Debian's French documentation
# packages: about 50,000 passages, as JSON Lines (see split_passages.py for the format).
#
#   bench/library/make-corpus.sh [OUT] [TARGET]
#     OUT     output file (default bench/library/corpus.jsonl)
#     TARGET  number of passages (default 50000)
#   SEED=1  seed of the sample (when there are more passages than TARGET) and of the facets
#   PACK_WORDS=60 MIN_PACK_WORDS=30  passage packing size, lowered from the first towards
#           the second until TARGET passages are reached (split_passages.py --help)
#
# The packages are installed with apt when missing (about 200 MiB of downloads the first
# time, 40 packages: LibreOffice's help pulls in libreoffice-common and the UNO runtime,
# gimp-help-fr alone is 50 MiB). Two whose dependencies are heavy (lilypond-doc-html-fr
# wants 60 MiB of LilyPond documentation, gnome-user-docs wants yelp and WebKit) are
# not installed: their .deb is fetched with `apt-get download` and the files read are
# unpacked under bench/library/.debs/ (git-ignored, ~15 MiB). Then split_passages.py (python3,
# standard library only, mandoc for the man pages) writes the passages. Idempotent: the
# same package versions give the same file, byte for byte.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${1:-$here/corpus.jsonl}"
target="${2:-50000}"
seed="${SEED:-1}"
pack="${PACK_WORDS:-60}"
min_pack="${MIN_PACK_WORDS:-30}"
debs="$here/.debs"

# package | how (install: apt-get install; extract: apt-get download + dpkg-deb -x)
#         | format | files of the package to read (extended regex on its file list)
man_re='^/usr/share/man/fr/man[0-9][^/]*/[^/]+\.gz$'
sources=(
  "manpages-fr|install|man|$man_re"
  "manpages-fr-dev|install|man|$man_re"
  "apt|install|man|$man_re"
  "dpkg|install|man|$man_re"
  "dpkg-dev|install|man|$man_re"
  "man-db|install|man|$man_re"
  "passwd|install|man|$man_re"
  "procps|install|man|$man_re"
  "xz-utils|install|man|$man_re"
  "libreoffice-help-fr|install|html|^/usr/share/libreoffice/help/fr/text/.*\.html$"
  "gimp-help-fr|install|html|^/usr/share/gimp/2\.0/help/fr/[^/]+\.html$"
  "debian-handbook|install|html|^/usr/share/doc/debian-handbook/html/fr-FR/[^/]+\.html$"
  "debian-reference-fr|install|html|^/usr/share/debian-reference/[^/]+\.fr\.html$"
  "developers-reference-fr|install|html|^/usr/share/developers-reference/fr/[^/]+\.html$"
  "debian-faq-fr|install|html|^/usr/share/doc/debian/FAQ/fr/[^/]+\.html$"
  "maint-guide-fr|install|html|^/usr/share/doc/maint-guide-fr/html/[^/]+\.html$"
  "installation-guide-amd64|install|html|^/usr/share/doc/installation-guide-amd64/fr/[^/]+\.html$"
  "aptitude-doc-fr|install|html|^/usr/share/doc/aptitude/html/fr/[^/]+\.html$"
  "debian-edu-doc-fr|install|html|^/usr/share/doc/debian-edu-doc-fr/debian-edu-bookworm-manual\.html$"
  "texworks-help-fr|install|html|^/usr/share/texworks-help/fr/.*\.html$"
  "grisbi-common|install|html|^/usr/share/doc/grisbi/fr/[^/]+\.html$"
  "scilab-doc-fr|install|zip|^/usr/share/scilab/modules/helptools/jar/scilab_fr_FR_help\.jar$"
  "lilypond-doc-html-fr|extract|html|^/usr/share/doc/lilypond/html/Documentation/.*\.fr\.html$"
  "gnome-user-docs|extract|mallard|^/usr/share/help/fr/gnome-help/[^/]+\.page$"
)
skip_re='-big-page\.'   # LilyPond's one-page editions repeat its split pages
tools=(mandoc)   # renders the man pages

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)

candidate() {   # the version apt would install, or nothing
  apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ && $2 != "(none)" {print $2}'
}

updated=0
apt_update() {
  if [ "$updated" -eq 0 ]; then
    "${sudo[@]}" apt-get update -qq
    updated=1
  fi
}

# --- install what is missing
missing=()
for s in "${sources[@]}"; do
  IFS='|' read -r pkg how _ _ <<<"$s"
  if [ "$how" = install ] && ! installed "$pkg"; then missing+=("$pkg"); fi
done
for t in "${tools[@]}"; do
  if ! installed "$t"; then missing+=("$t"); fi
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing: ${missing[*]}" >&2
  if ! "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then
    # a stale or empty package list, or a package this release lacks: refresh, then
    # install what exists one by one
    apt_update
    for pkg in "${missing[@]}"; do
      if [ -z "$(candidate "$pkg")" ]; then
        echo "warning: package $pkg is not available here, going on without it" >&2
      elif ! "${sudo[@]}" apt-get install -y -qq --no-install-recommends "$pkg" >/dev/null; then
        echo "warning: could not install $pkg, going on without it" >&2
      fi
    done
  fi
fi
command -v mandoc >/dev/null || { echo "error: mandoc is required for the man pages" >&2; exit 1; }

# --- fetch and unpack the others (once; a newer candidate version replaces the old one)
extract() {   # extract PKG RE: unpacks the files matching RE into $debs/PKG; fails if unavailable
  local pkg="$1" re="$2" ver
  ver="$(candidate "$pkg")"
  if [ -z "$ver" ]; then
    apt_update
    ver="$(candidate "$pkg")"
  fi
  [ -n "$ver" ] || return 1
  if [ "$(cat "$debs/$pkg.version" 2>/dev/null)" = "$ver" ] && [ -d "$debs/$pkg" ]; then
    return 0
  fi
  echo "fetching $pkg $ver (unpacked under $debs, not installed)" >&2
  local tmp
  tmp="$(mktemp -d)"
  if ! (cd "$tmp" && apt-get download -qq "$pkg=$ver" 2>/dev/null); then
    rm -rf "$tmp"
    return 1
  fi
  rm -rf "${debs:?}/$pkg"
  mkdir -p "$debs/$pkg"
  dpkg-deb -x "$tmp"/*.deb "$debs/$pkg"
  rm -rf "$tmp"
  # keep only what is read (gnome-user-docs holds every language)
  (cd "$debs/$pkg" && find . ! -type d | sed 's|^\.||' |
    RE="$re" SKIP="$skip_re" awk '$0 !~ ENVIRON["RE"] || $0 ~ ENVIRON["SKIP"] {print "." $0}' |
    tr '\n' '\0' | xargs -0 -r rm -f && find . -depth -type d -empty -delete)
  echo "$ver" >"$debs/$pkg.version"
}

# --- list the files to read
manifest="$(mktemp)"
trap 'rm -f "$manifest"' EXIT
for s in "${sources[@]}"; do
  IFS='|' read -r pkg how fmt re <<<"$s"
  if installed "$pkg"; then
    list() { dpkg -L "$pkg"; }
    root=""
  elif [ "$how" = extract ] && extract "$pkg" "$re"; then
    root="$debs/$pkg"
    list() { (cd "$root" && find . -type f -o -type l) | sed 's|^\.||'; }
  else
    echo "warning: $pkg is not available, skipped" >&2
    continue
  fi
  n=0
  while IFS= read -r f; do
    [ -f "$root$f" ] || continue
    printf '%s\t%s\t%s\n' "$pkg" "$fmt" "$root$f" >>"$manifest"
    n=$((n + 1))
  done < <(list | grep -E "$re" | grep -Ev -e "$skip_re" | LC_ALL=C sort || true)
  if [ "$n" -eq 0 ]; then
    echo "warning: no files of $pkg match (is /usr/share/doc or /usr/share/man excluded by dpkg?)" >&2
  fi
done

if [ ! -s "$manifest" ]; then
  echo "error: no input files" >&2
  exit 1
fi

mkdir -p "$(dirname "$out")"
start=$(date +%s)
nice -n 10 python3 "$here/split_passages.py" --manifest "$manifest" --out "$out" \
  --target "$target" --seed "$seed" --pack-words "$pack" --min-pack-words "$min_pack"
end=$(date +%s)
echo "wrote $out: $(wc -l <"$out") passages, $(du -h "$out" | cut -f1), $((end - start)) s" >&2
