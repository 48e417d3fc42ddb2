#!/usr/bin/env python3
"""Do Relais and the FTS5 peer give the same answers? Asks every target of both once and
prints one JSON line: for the directory, how many answers have the same total, the same
facet counts, the same people on the page (as a set, and in the same order), split between
queries with words (the engines' matching and ranking differ: stemming, weights) and
without (filters only: they should agree); for the matching, how many proposal lists are
identical (people, order, scores, reasons) and how many name the same people.

Usage: compare.py RELAIS_PORT FTS5_PORT COOKIE directory.txt proposals.txt [--show N]
"""
import json
import sys
import urllib.parse
import urllib.request


def get(port, target, cookie):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{target}", headers={"Cookie": cookie})
    with urllib.request.urlopen(req) as r:
        return json.load(r)


def main():
    relais, fts5, cookie, directory, proposals = sys.argv[1:6]
    show = int(sys.argv[sys.argv.index("--show") + 1]) if "--show" in sys.argv else 0
    out = {}
    for label in ("words", "filters_only"):
        out[f"directory_{label}"] = {"queries": 0, "same_total": 0, "same_facets": 0, "same_page_set": 0, "same_page_order": 0,
                                     "relais_empty": 0, "fts5_empty": 0}
    shown = 0
    for target in open(directory).read().split():
        q = urllib.parse.parse_qs(urllib.parse.urlparse(target).query).get("q", [""])[0]
        a, b = get(relais, target, cookie), get(fts5, target, cookie)
        s = out["directory_words" if q.strip() else "directory_filters_only"]
        s["queries"] += 1
        s["same_total"] += a["total"] == b["total"]
        s["same_facets"] += a["facets"] == b["facets"]
        ia, ib = [p["id"] for p in a["people"]], [p["id"] for p in b["people"]]
        s["same_page_set"] += set(ia) == set(ib)
        s["same_page_order"] += ia == ib
        s["relais_empty"] += a["total"] == 0
        s["fts5_empty"] += b["total"] == 0
        # The people both show must be shown alike (organisation, role, territory, entries).
        common = {p["id"]: p for p in a["people"]}
        for p in b["people"]:
            if p["id"] in common:
                x = dict(common[p["id"]]); y = dict(p)
                x.pop("snippet"); y.pop("snippet")
                if x != y:
                    s.setdefault("different_person_json", 0)
                    s["different_person_json"] += 1
                    if shown < show:
                        shown += 1
                        print(json.dumps({"target": target, "relais": x, "fts5": y}, ensure_ascii=False), file=sys.stderr)
        if show and shown < show and not q.strip() and (a["total"] != b["total"] or ia != ib):
            shown += 1
            print(json.dumps({"target": target, "relais": [a["total"], ia], "fts5": [b["total"], ib]}), file=sys.stderr)
    m = {"needs": 0, "identical": 0, "same_people": 0, "same_set": 0}
    for target in open(proposals).read().split():
        a, b = get(relais, target, cookie)["proposals"], get(fts5, target, cookie)["proposals"]
        m["needs"] += 1
        m["identical"] += a == b
        m["same_people"] += [x["person"]["id"] for x in a] == [x["person"]["id"] for x in b]
        m["same_set"] += {x["person"]["id"] for x in a} == {x["person"]["id"] for x in b}
        if a != b and shown < show:
            shown += 1
            print(json.dumps({"target": target, "relais": a[:3], "fts5": b[:3]}, ensure_ascii=False), file=sys.stderr)
    out["proposals"] = m
    print(json.dumps(out))


if __name__ == "__main__":
    main()
