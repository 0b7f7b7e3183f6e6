#!/usr/bin/env python3
"""Rebuild data/corpus/tiny.txt: the prose of "The Rust Programming Language"
(Steve Klabnik, Carol Nichols and contributors; MIT OR Apache-2.0), as shipped in the
Rust toolchain's offline docs (rustup component rust-docs). Code blocks, tables and
navigation are dropped; paragraphs and list items are kept as plain text.

Usage: make_corpus.py [BOOK_HTML_DIR] [OUT] [MAX_BYTES]
"""
import glob, html, os, re, sys
from html.parser import HTMLParser

book = sys.argv[1] if len(sys.argv) > 1 else sorted(glob.glob(os.path.expanduser(
    "~/.rustup/toolchains/*/share/doc/rust/html/book")))[0]
out = sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.path.dirname(__file__), "tiny.txt")
cap = int(sys.argv[3]) if len(sys.argv) > 3 else 1_000_000

class Prose(HTMLParser):
    def __init__(self):
        super().__init__()
        self.depth_main = 0
        self.skip = 0
        self.buf = []
        self.paras = []
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "main":
            self.depth_main += 1
        if tag in ("pre", "table", "script", "style", "nav"):
            self.skip += 1
        if tag in ("p", "li", "h1", "h2", "h3"):
            self.buf = []
    def handle_endtag(self, tag):
        if tag == "main":
            self.depth_main -= 1
        if tag in ("pre", "table", "script", "style", "nav"):
            self.skip = max(0, self.skip - 1)
        if tag in ("p", "li", "h1", "h2", "h3") and self.depth_main > 0 and not self.skip:
            text = re.sub(r"\s+", " ", "".join(self.buf)).strip()
            for a, b in (("\u2019", "'"), ("\u2018", "'"), ("\u201c", '"'), ("\u201d", '"'),
                         ("\u2014", " - "), ("\u2013", "-"), ("\u2026", "...")):
                text = text.replace(a, b)
            if len(text) > 40 and text.isascii():
                self.paras.append(text)
            self.buf = []
    def handle_data(self, data):
        if self.depth_main > 0 and not self.skip:
            self.buf.append(data)

chapters = sorted(p for p in glob.glob(os.path.join(book, "ch*.html")) if "print" not in p)
text, seen = [], set()
for path in chapters:
    parser = Prose()
    parser.feed(open(path, encoding="utf-8").read())
    for para in parser.paras:
        if para not in seen:
            seen.add(para)
            text.append(html.unescape(para))
body = "\n\n".join(text)
body = body[:cap].rsplit("\n\n", 1)[0] + "\n"
open(out, "w", encoding="utf-8").write(body)
print(f"{out}: {len(body)} bytes from {len(chapters)} chapters, {len(set(body))} distinct characters")
