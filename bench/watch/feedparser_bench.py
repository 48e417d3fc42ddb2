#!/usr/bin/python3
"""The peer of relais_watch_parsebench: Debian's python3-feedparser on the same files.

Usage: /usr/bin/python3 feedparser_bench.py DIR   -> one JSON line on stdout
Files are read into memory first; only parsing is timed (feedparser sanitises HTML and
resolves relative links by default, as Relais does). Peak RSS from getrusage.
"""
import json
import os
import resource
import sys
import time

import feedparser


def main():
    folder = sys.argv[1]
    bodies = []
    for name in sorted(os.listdir(folder)):
        with open(os.path.join(folder, name), "rb") as f:
            bodies.append((name, f.read()))
    items = 0
    failed = 0
    start = time.perf_counter()
    for name, body in bodies:
        result = feedparser.parse(body, response_headers={"content-location": "https://source.exemple.fr/" + name})
        if result.bozo and not result.entries:
            failed += 1
        items += len(result.entries)
    seconds = time.perf_counter() - start
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"parser": "feedparser " + feedparser.__version__, "files": len(bodies), "items": items,
                      "failed": failed, "seconds": round(seconds, 3), "items_per_s": round(items / seconds),
                      "peak_rss_kb": peak_kb}))


if __name__ == "__main__":
    main()
