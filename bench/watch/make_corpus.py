#!/usr/bin/env python3
"""Writes a corpus of feeds for the parse benchmark (bench/watch/README.md).

Usage: make_corpus.py DIR [COUNT]   (COUNT defaults to 2000)

Deterministic (fixed seed): the same files on every machine. A mix of what a regional
watch reads: RSS 2.0 (55 %, a fifth of them with content:encoded), Atom 1.0 (25 %),
RSS 1.0/RDF (10 %), JSON Feed 1.1 (10 %); 5 to 60 items each, French text with accents,
HTML content with paragraphs, lists, links, images and the odd script or event handler
(both parsers sanitise), HTML entities, and one feed in ten in ISO-8859-1.
"""
import json
import os
import random
import sys
from datetime import datetime, timedelta, timezone
from xml.sax.saxutils import escape

WORDS = ("communauté professionnelle territoriale santé coordination parcours patient médecin infirmière "
         "pharmacien kinésithérapeute accès soins non programmés prévention dépistage vaccination télésanté "
         "téléexpertise messagerie sécurisée dossier médical partagé avenant accord conventionnel "
         "interprofessionnel financement amorçage fonds intervention régional diagnostic territorial lettre "
         "intention projet santé indicateurs mission socle gouvernance association statuts réunion plénière "
         "assurance maladie agence régionale délégation départementale union régionale professionnels").split()


def sentence(rng, n):
    words = [rng.choice(WORDS) for _ in range(n)]
    return " ".join(words).capitalize() + "."


def html_content(rng, base):
    parts = []
    for _ in range(rng.randint(2, 6)):
        kind = rng.random()
        if kind < 0.5:
            parts.append("<p>" + escape(sentence(rng, rng.randint(12, 40))) + " <a href=\"" + base + "/page/" +
                         str(rng.randint(1, 9999)) + "\">en savoir plus</a></p>")
        elif kind < 0.7:
            parts.append("<ul>" + "".join("<li>" + escape(sentence(rng, 6)) + "</li>" for _ in range(rng.randint(2, 5))) + "</ul>")
        elif kind < 0.85:
            parts.append("<p><img src=\"" + base + "/img/" + str(rng.randint(1, 999)) + ".png\" alt=\"illustration\"> " +
                         "<strong>" + escape(sentence(rng, 8)) + "</strong></p>")
        elif kind < 0.95:
            parts.append("<p onclick=\"track()\">" + escape(sentence(rng, 10)) + "</p><script>track()</script>")
        else:
            parts.append("<blockquote><p>&laquo;&nbsp;" + escape(sentence(rng, 15)) + "&nbsp;&raquo;</p></blockquote>")
    return "".join(parts)


def date(rng, i):
    return datetime(2026, 11, 30, 12, tzinfo=timezone.utc) - timedelta(hours=i * rng.randint(1, 48))


def rss2(rng, n, base, encoded):
    items = []
    for i in range(n):
        content = html_content(rng, base)
        extra = "<content:encoded><![CDATA[" + content + "]]></content:encoded>" if encoded else ""
        items.append("<item><title>" + escape(sentence(rng, rng.randint(5, 14))) + "</title><link>" + base + "/a/" +
                     str(i) + "</link><guid isPermaLink=\"false\">" + base + "#" + str(i) + "</guid><pubDate>" +
                     date(rng, i).strftime("%a, %d %b %Y %H:%M:%S +0000") + "</pubDate><dc:creator>Rédaction</dc:creator>"
                     "<category>CPTS</category><description>" + escape(content if not encoded else sentence(rng, 25)) +
                     "</description>" + extra + "</item>")
    return ("<rss version=\"2.0\" xmlns:content=\"http://purl.org/rss/1.0/modules/content/\" "
            "xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><channel><title>" + escape(sentence(rng, 4)) + "</title><link>" +
            base + "/</link><description>" + escape(sentence(rng, 12)) + "</description><language>fr</language>" +
            "".join(items) + "</channel></rss>")


def atom(rng, n, base):
    entries = []
    for i in range(n):
        entries.append("<entry><title>" + escape(sentence(rng, rng.randint(5, 14))) + "</title><id>tag:" + base[8:] + ",2026:" +
                       str(i) + "</id><link rel=\"alternate\" href=\"" + base + "/e/" + str(i) + "\"/><updated>" +
                       date(rng, i).strftime("%Y-%m-%dT%H:%M:%SZ") + "</updated><author><name>Rédaction</name></author>"
                       "<summary>" + escape(sentence(rng, 20)) + "</summary><content type=\"html\">" +
                       escape(html_content(rng, base)) + "</content></entry>")
    return ("<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>" + escape(sentence(rng, 4)) + "</title><id>" + base +
            "/</id><updated>2026-11-30T12:00:00Z</updated><link rel=\"alternate\" href=\"" + base + "/\"/>" +
            "".join(entries) + "</feed>")


def rdf(rng, n, base):
    items = "".join("<item rdf:about=\"" + base + "/r/" + str(i) + "\"><title>" + escape(sentence(rng, 8)) + "</title><link>" +
                    base + "/r/" + str(i) + "</link><description>" + escape(html_content(rng, base)) + "</description>"
                    "<dc:date>" + date(rng, i).strftime("%Y-%m-%dT%H:%M:%SZ") + "</dc:date></item>" for i in range(n))
    return ("<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\" xmlns=\"http://purl.org/rss/1.0/\" "
            "xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><channel rdf:about=\"" + base + "/\"><title>" +
            escape(sentence(rng, 4)) + "</title><link>" + base + "/</link><description>Flux</description></channel>" +
            items + "</rdf:RDF>")


def jsonfeed(rng, n, base):
    return json.dumps({
        "version": "https://jsonfeed.org/version/1.1", "title": sentence(rng, 4), "home_page_url": base + "/",
        "items": [{"id": base + "/j/" + str(i), "url": base + "/j/" + str(i), "title": sentence(rng, 8),
                   "content_html": html_content(rng, base), "date_published": date(rng, i).strftime("%Y-%m-%dT%H:%M:%SZ"),
                   "tags": ["CPTS"]} for i in range(n)]}, ensure_ascii=False)


def main():
    out = sys.argv[1]
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    os.makedirs(out, exist_ok=True)
    rng = random.Random(20261201)
    for k in range(count):
        base = "https://source%d.exemple.fr" % k
        n = rng.randint(5, 60)
        roll = rng.random()
        if roll < 0.55:
            text, ext = rss2(rng, n, base, rng.random() < 0.2), "xml"
        elif roll < 0.80:
            text, ext = atom(rng, n, base), "xml"
        elif roll < 0.90:
            text, ext = rdf(rng, n, base), "xml"
        else:
            text, ext = jsonfeed(rng, n, base), "json"
        if ext == "xml" and rng.random() < 0.1:
            data = ("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n" + text).encode("iso-8859-1", "xmlcharrefreplace")
        elif ext == "xml":
            data = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + text).encode("utf-8")
        else:
            data = text.encode("utf-8")
        with open(os.path.join(out, "%04d.%s" % (k, ext)), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
