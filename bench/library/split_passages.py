#!/usr/bin/env python3
"""Turn Debian's French documentation into benchmark passages (JSON Lines).

Standard library only (plus the mandoc program for man pages). Called by
make-corpus.sh:

    split_passages.py --manifest FILE --out corpus.jsonl [--target 50000] [--seed 1]
                      [--pack-words 60] [--min-pack-words 30]

The manifest has one line per input file: ``source<TAB>format<TAB>path`` with
format ``man`` (a man page, rendered by ``mandoc -T utf8``), ``html``,
``mallard`` (GNOME help .page) or ``zip`` (the HTML pages inside a .jar or
.epub). Files are read in sorted (source, path) order; symbolic links (man page
aliases) are skipped. The output depends only on the input files and the options.

Each document is cut into paragraphs under their (sub)section heading; code,
tables of numbers and untranslated English paragraphs are dropped. The
paragraphs are packed into passages that are closed once they reach
--pack-words words and never exceed 200; a passage starts at a heading unless the
previous section is too short to stand alone. A passage is dropped when it has
fewer than 20 words, when less than 60 % of its tokens are alphabetic words, or
when it does not look French. Identical passages are kept once. If that leaves
fewer than --target passages, the packing size is lowered by 5 words at a time,
down to --min-pack-words (the documentation does not hold 50,000 passages of
60 words or more). If it leaves more, a seeded sample of exactly --target is
kept, in document order. The facets (kind, phase, mission, year, date) are
synthetic, drawn from a hash of the passage id and the seed.

Line format:
  {"id": "p1", "title": ..., "body": ..., "kind": "guide", "phase": [...],
   "mission": [...], "source": "manpages-fr", "year": 2023, "date": 1690000000}
"""

import argparse
import calendar
import collections
import gzip
import hashlib
import html.parser
import json
import os
import random
import re
import subprocess
import sys
import time

MIN_WORDS = 20          # passages shorter than this are dropped
PACK_WORDS = 60         # a passage is closed once it reaches this many words
MAX_WORDS = 200         # and never grows past this
MIN_ALPHA = 0.60        # share of alphabetic tokens in a passage
PARA_MIN_ALPHA = 0.50   # same test on a paragraph (drops code lines early)

# ---------------------------------------------------------------- text tests

_WORD_RE = re.compile(r"^[^\W\d_]+(?:['’\-][^\W\d_]+)*$")
_HAS_ALNUM = re.compile(r"\w")
_STRIP = "«»“”„\"'‘’()[]{}<>.,;:!?…*/|"
_FR = frozenset("""le la les de des du et est une un pour dans que qui sur pas par avec
au aux ce cette ces sont ou vous il elle ils nous se sa son ses leur leurs être peut
plus si sont lorsque mais aussi été fait comme tout tous""".split())
_EN = frozenset("""the and of to is in for that with this are be it as by from if not or
you will can which when an your must should has have its these been was were""".split())


def words(text):
    """Tokens that contain a letter or digit (punctuation alone is not a word)."""
    return [t for t in text.split() if _HAS_ALNUM.search(t)]


def alpha_ratio(toks):
    if not toks:
        return 0.0
    n = sum(1 for t in toks if _WORD_RE.match(t.strip(_STRIP)))
    return n / len(toks)


def fr_en(toks):
    """Counts of French and of English function words."""
    fr = en = 0
    for t in toks:
        w = t.strip(_STRIP).lower()
        if w in _FR:
            fr += 1
        elif w in _EN:
            en += 1
    return fr, en


def looks_french(toks):
    fr, en = fr_en(toks)
    return fr >= 3 and fr >= 2 * en


_SPACES = re.compile(r"\s+")
_TRANSLATE = str.maketrans({"\u2010": "-", "\u2011": "-", "\u00ad": None,
                            "\u200b": None, "\ufeff": None})


def norm(text):
    return _SPACES.sub(" ", text.translate(_TRANSLATE)).strip()


# ---------------------------------------------------------------- man pages

_OVERSTRIKE = re.compile(r".\x08")
_SKIP_MAN_SECTIONS = {
    "NOM", "NAME", "SYNOPSIS", "SYNOPSIS ET DESCRIPTION", "VOIR AUSSI", "TRADUCTION",
    "COLOPHON", "COPYRIGHT", "DROIT D'AUTEUR", "DROITS D'AUTEUR", "AUTEUR", "AUTEURS",
    "SIGNALER DES BOGUES", "BIBLIOTHÈQUE", "BIBLIOTHÈQUES", "RAPPORTER DES BOGUES",
    "LICENCE", "AUTHOR", "AUTHORS", "SEE ALSO",
}


def man_docs(path):
    """Yield (title, [(heading, paragraph)]) for one man page."""
    try:
        out = subprocess.run(["mandoc", "-T", "utf8", "-O", "width=1000", path],
                             capture_output=True, check=False).stdout
    except OSError as e:
        sys.exit(f"mandoc: {e}")
    text = _OVERSTRIKE.sub("", out.decode("utf-8", "replace"))
    lines = text.split("\n")
    # drop the header and footer lines (first and last non-empty)
    nz = [i for i, l in enumerate(lines) if l.strip()]
    if len(nz) < 3:
        return
    lines = lines[nz[0] + 1:nz[-1]]

    base = os.path.basename(path)
    if base.endswith(".gz"):
        base = base[:-3]
    name, _, sec = base.rpartition(".")
    page = f"{name}({sec})" if name else base

    section, subsection, summary = "", "", ""
    paras, cur = [], []

    def flush():
        if cur:
            paras.append((section, subsection, norm(" ".join(cur))))
            cur.clear()

    for line in lines:
        if not line.strip():
            flush()
            continue
        indent = len(line) - len(line.lstrip(" "))
        if indent == 0:
            flush()
            section, subsection = norm(line).upper(), ""
            continue
        if indent == 3:
            flush()
            subsection = norm(line)
            continue
        cur.append(line)
    flush()

    out_paras = []
    for section, subsection, p in paras:
        if section in ("NOM", "NAME") and not summary:
            parts = re.split(r"\s[-–—]\s", p, maxsplit=1)
            summary = parts[1] if len(parts) == 2 else ""
            continue
        if section in _SKIP_MAN_SECTIONS:
            continue
        head = section.capitalize()
        if subsection:
            head += " › " + subsection
        out_paras.append((head, p))
    title = page + (" : " + summary if summary else "")
    yield title, out_paras


# ---------------------------------------------------------------- HTML

_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
         "param", "source", "track", "wbr"}
_BLOCK = {"p", "div", "li", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6", "tr",
          "td", "th", "table", "blockquote", "section", "ul", "ol", "dl", "body",
          "caption", "figcaption", "article", "main", "title"}
_SKIP_TAGS = {"script", "style", "pre", "header", "footer", "nav", "aside", "noscript",
              "button", "label", "select", "textarea", "svg", "math"}
_SKIP_CLASSES = {"navheader", "navfooter", "docnav", "toc", "relatedbody", "debug",
                 "bascode", "pycode", "MAC", "related", "programlisting", "screen", "synopsis",
                 "list-of-figures", "list-of-tables", "list-of-examples", "breadcrumbs",
                 "reportbug", "indexterm", "index", "cmdsynopsis", "funcsynopsis",
                 "manualnavbar", "path", "nav_table", "menu", "toc_header", "toc_uplink",
                 "index-cp", "index-ky", "index-fn", "index-vr", "summary-letter",
                 "footer_version", "footer_report"}
_SKIP_IDS = {"banner", "title", "TopLeftHeader", "SearchFrame", "DonationFrame", "DEBUG",
             "Contents", "Index", "Bookmarks", "footer", "tocframe", "languages",
             "highlighting-settings"}
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}


class _Extractor(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack = []          # [tag, skipping]
        self.skip = 0            # number of open skipped elements
        self.buf = []
        self.title = ""
        self.h1 = ""
        self.heading = ""
        self.in_title = False
        self.in_heading = None
        self.heading_buf = []
        self.paras = []          # (heading, text)

    def _break(self):
        if self.buf:
            t = norm("".join(self.buf))
            self.buf = []
            if t:
                self.paras.append((self.heading, t))

    def handle_starttag(self, tag, attrs):
        if tag in _VOID:
            if tag == "br" and not self.skip:
                self.buf.append(" ")
            return
        a = dict(attrs)
        classes = set((a.get("class") or "").split())
        skipping = (tag in _SKIP_TAGS or bool(classes & _SKIP_CLASSES)
                    or a.get("id") in _SKIP_IDS
                    # LibreOffice: platform variants are hidden, the default one is shown
                    or ("hidden" in a and not (a.get("id") or "").startswith("default")))
        if tag == "title":
            skipping = False
        self.stack.append((tag, skipping))
        if skipping:
            self.skip += 1
            return
        if self.skip:
            return
        if tag in _BLOCK:
            self._break()
        if tag == "title":
            self.in_title = True
        elif tag in _HEADINGS:
            self.in_heading = tag
            self.heading_buf = []

    def handle_endtag(self, tag):
        if tag in _VOID:
            return
        # pop up to the matching open tag (tolerates unclosed <p>, <li>, ...)
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                break
        else:
            return
        while len(self.stack) > i:
            t, skipping = self.stack.pop()
            if skipping:
                self.skip -= 1
            elif not self.skip:
                self._close(t)

    def _close(self, tag):
        if tag == "title":
            self.title = norm("".join(self.buf))
            self.buf = []
            self.in_title = False
        elif tag == self.in_heading:
            h = norm("".join(self.heading_buf))
            self.in_heading = None
            self.buf = []
            if h:
                if tag == "h1" and not self.h1:
                    self.h1 = h
                self.heading = h
        elif tag in _BLOCK:
            self._break()

    def handle_data(self, data):
        if self.skip:
            return
        self.buf.append(data)
        if self.in_heading:
            self.heading_buf.append(data)


def html_docs(path, raw=None):
    if raw is None:
        with open(path, "rb") as f:
            raw = f.read()
        if path.endswith(".gz"):
            raw = gzip.decompress(raw)
    p = _Extractor()
    p.feed(raw.decode("utf-8", "replace"))
    p.close()
    p._break()
    title = p.title or p.h1 or os.path.basename(path)
    paras = []
    for head, text in p.paras:
        # the heading itself was emitted as a paragraph: skip it
        if text == head:
            continue
        paras.append((head if head and head not in title else "", text))
    yield title, paras



def zip_docs(path):
    """The HTML pages of a zip archive (a JavaHelp .jar, an .epub), in name order."""
    import zipfile
    with zipfile.ZipFile(path) as z:
        for name in sorted(z.namelist()):
            if name.endswith((".html", ".xhtml", ".htm")):
                yield from html_docs(name, z.read(name))


# ---------------------------------------------------------------- Mallard (GNOME help)

_MAL = "{http://projectmallard.org/1.0/}"
_MAL_SKIP = {"info", "code", "screen", "media", "links", "synopsis", "comment"}


def mallard_docs(path):
    import xml.etree.ElementTree as ET
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError:
        return
    title = ""
    paras = []

    def text_of(el):
        return norm("".join(el.itertext()))

    def walk(el, heading, top):
        nonlocal title
        for child in el:
            tag = child.tag.replace(_MAL, "") if isinstance(child.tag, str) else ""
            if not tag or tag in _MAL_SKIP:
                continue
            if tag == "title" and top:
                h = text_of(child)
                if el is root:
                    title = title or h
                    heading = ""
                else:
                    heading = h
            elif tag in ("p", "title"):
                t = text_of(child)
                if t:
                    paras.append((heading, t))
            elif tag == "section":
                walk(child, heading, True)
            else:
                walk(child, heading, False)

    walk(root, "", True)
    yield title or os.path.basename(path), paras

# ---------------------------------------------------------------- passages

_SENT = re.compile(r"(?<=[.!?…])\s+(?=[«\"(]?[A-ZÀ-ÖØ-Þ0-9])")


def _split_long(text, pack):
    """Split a paragraph of more than MAX_WORDS words at sentence ends."""
    chunks, cur, n = [], [], 0
    for s in _SENT.split(text):
        k = len(s.split())
        if k > MAX_WORDS:                      # one huge "sentence": cut by words
            ws = s.split()
            for i in range(0, len(ws), MAX_WORDS * 3 // 4):
                piece = " ".join(ws[i:i + MAX_WORDS * 3 // 4])
                if cur:
                    chunks.append(" ".join(cur))
                    cur, n = [], 0
                chunks.append(piece)
            continue
        if n + k > MAX_WORDS and cur:
            chunks.append(" ".join(cur))
            cur, n = [], 0
        cur.append(s)
        n += k
        if n >= pack * 2:
            chunks.append(" ".join(cur))
            cur, n = [], 0
    if cur:
        chunks.append(" ".join(cur))
    return chunks


def clean_paragraphs(paras):
    """Drop paragraphs that are code or table debris, or English (untranslated)."""
    out = []
    for h, p in paras:
        toks = words(p)
        if not toks:
            continue
        if len(toks) >= 8 and alpha_ratio(toks) < PARA_MIN_ALPHA:
            continue
        if len(toks) >= 12:
            fr, en = fr_en(toks)
            if en > fr:
                continue
        out.append((h, p, len(toks)))
    return out


def passages(title, paras, pack=PACK_WORDS):
    """Pack cleaned (heading, paragraph, words) into (title, body) passages of
    about pack..MAX_WORDS words. A passage starts a new heading, except that a
    section too short to stand alone (under pack/2 words) runs on into the next
    one, whose heading then appears as a line of the body. The title is the
    document's title and the heading the passage starts under."""
    out = []
    buf, n, start = [], 0, ""       # paragraphs, their words, heading they start under
    head = None

    def emit():
        nonlocal buf, n
        if buf:
            out.append((title + (" — " + start if start else ""), "\n\n".join(buf)))
        buf, n = [], 0

    for h, p, k in paras:
        if h != head:
            head = h
            if n >= pack // 2 or not buf:
                emit()
                start = h
            elif h:                         # short section: run on, heading as a line
                buf.append(h)
                n += len(h.split())
        if k > MAX_WORDS:
            emit()
            start = h
            for c in _split_long(p, pack):
                buf, n = [c], len(c.split())
                emit()
            continue
        if n + k > MAX_WORDS:
            emit()
            start = h
        if not buf:
            start = h
        buf.append(p)
        n += k
        if n >= pack:
            emit()
    if buf and n < MIN_WORDS and out:
        # a short tail joins the previous passage when it fits
        t, body = out[-1]
        extra = ([head] if head and head != start and not t.endswith(" — " + head) else []) + buf
        if len(body.split()) + n <= MAX_WORDS:
            out[-1] = (t, body + "\n\n" + "\n\n".join(extra))
            buf = []
    emit()
    return out


# ---------------------------------------------------------------- facets

KINDS = (("guide", 45), ("outil", 30), ("temoignage", 15), ("compte_rendu", 10))
PHASES = (("emergence", 14), ("lettre_intention", 10), ("diagnostic", 26),
          ("projet_sante", 24), ("contractualisation", 14), ("dialogue_gestion", 12))
MISSIONS = (("acces_soins", 28), ("parcours", 24), ("prevention", 18),
            ("crise_sanitaire", 8), ("qualite_pertinence", 12), ("accompagnement_pros", 10))
YEARS = ((2019, 5), (2020, 7), (2021, 9), (2022, 12), (2023, 15), (2024, 19),
         (2025, 21), (2026, 12))


def _pick(rng, table, k):
    """k distinct values drawn by weight, returned in the table's order."""
    pool = list(table)
    got = set()
    for _ in range(k):
        total = sum(w for _, w in pool)
        r = rng.uniform(0, total)
        for i, (v, w) in enumerate(pool):
            r -= w
            if r <= 0 or i == len(pool) - 1:
                got.add(v)
                del pool[i]
                break
    return [v for v, _ in table if v in got]


def facets(pid, seed):
    rng = random.Random(hashlib.blake2b(f"{seed}:{pid}".encode(), digest_size=16).digest())
    kind = _pick(rng, KINDS, 1)[0]
    phase = _pick(rng, PHASES, 1 if rng.random() < 0.7 else 2)
    r = rng.random()
    mission = _pick(rng, MISSIONS, 0 if r < 0.25 else (1 if r < 0.75 else 2))
    year = _pick(rng, YEARS, 1)[0]
    start = calendar.timegm((year, 1, 1, 0, 0, 0))
    end = calendar.timegm((year + 1, 1, 1, 0, 0, 0))
    date = start + rng.randrange(end - start)
    return kind, phase, mission, year, date


# ---------------------------------------------------------------- main

def select(docs, pack):
    """All passages of the documents packed at `pack` words, filtered and deduplicated."""
    seen = set()
    kept = []                                   # (source, title, body)
    stats = collections.Counter()
    for src, title, paras in docs:
        for t, body in passages(title, paras, pack):
            toks = words(body)
            if len(toks) < MIN_WORDS:
                stats["drop_short"] += 1
                continue
            if alpha_ratio(toks) < MIN_ALPHA:
                stats["drop_alpha"] += 1
                continue
            if not looks_french(toks):
                stats["drop_not_french"] += 1
                continue
            key = hashlib.blake2b(body.lower().encode(), digest_size=16).digest()
            if key in seen:
                stats["drop_duplicate"] += 1
                continue
            seen.add(key)
            kept.append((src, t, body))
    return kept, stats


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--manifest", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--target", type=int, default=50000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--pack-words", type=int, default=PACK_WORDS,
                    help="close a passage once it has this many words (default %(default)s)")
    ap.add_argument("--min-pack-words", type=int, default=30,
                    help="if the target is not reached, lower --pack-words by 5 down to "
                         "this (default %(default)s)")
    args = ap.parse_args()

    entries = []
    with open(args.manifest, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line:
                src, fmt, path = line.split("\t", 2)
                entries.append((src, path, fmt))
    entries = sorted(set(entries))

    t0 = time.monotonic()
    readers = {"man": man_docs, "html": html_docs, "mallard": mallard_docs, "zip": zip_docs}
    docs = []                                   # (source, title, cleaned paragraphs)
    files = collections.Counter()
    links = 0
    for src, path, fmt in entries:
        if os.path.islink(path) or not os.path.isfile(path):
            links += 1                          # man page aliases: same text as their target
            continue
        files[src] += 1
        for title, paras in readers[fmt](path):
            docs.append((src, title, clean_paragraphs(paras)))
    t_read = time.monotonic() - t0

    pack = args.pack_words
    while True:
        kept, stats = select(docs, pack)
        if len(kept) >= args.target or pack - 5 < args.min_pack_words:
            break
        print(f"packing at {pack} words gives {len(kept)} passages, fewer than "
              f"{args.target}: trying {pack - 5}", file=sys.stderr)
        pack -= 5
    candidates = len(kept)
    if len(kept) > args.target:
        idx = sorted(random.Random(args.seed).sample(range(len(kept)), args.target))
        kept = [kept[i] for i in idx]

    tmp = args.out + ".tmp"
    per_source = collections.Counter()
    lengths = []
    with open(tmp, "w", encoding="utf-8") as out:
        for i, (src, t, body) in enumerate(kept, 1):
            pid = f"p{i}"
            kind, phase, mission, year, date = facets(pid, args.seed)
            out.write(json.dumps({"id": pid, "title": t, "body": body, "kind": kind,
                                  "phase": phase, "mission": mission, "source": src,
                                  "year": year, "date": date},
                                 ensure_ascii=False) + "\n")
            per_source[src] += 1
            lengths.append(len(words(body)))
    os.replace(tmp, args.out)

    err = sys.stderr
    lengths.sort()
    q = (lambda p: lengths[min(len(lengths) - 1, int(p * len(lengths)))]) if lengths else (lambda p: 0)
    print(f"read {sum(files.values())} files ({links} links skipped) in {t_read:.0f} s; "
          f"packing at {pack} words: {candidates} passages after filters and dedup "
          f"({', '.join(f'{k} {v}' for k, v in sorted(stats.items()))})", file=err)
    print(f"written: {len(kept)} passages in {time.monotonic() - t0:.0f} s; words per passage: "
          f"mean {sum(lengths) / max(1, len(lengths)):.0f}, p10 {q(.1)}, median {q(.5)}, "
          f"p90 {q(.9)}, max {q(1)}", file=err)
    print("  source                      files  passages", file=err)
    for src in sorted(files):
        print(f"  {src:<26} {files[src]:>6}  {per_source[src]:>8}", file=err)
    if len(kept) < args.target:
        print(f"warning: only {len(kept)} passages, fewer than the target {args.target}",
              file=err)


if __name__ == "__main__":
    main()
