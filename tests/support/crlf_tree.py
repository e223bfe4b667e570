#!/usr/bin/env python3
"""Writes a copy of a migrations tree as a Windows checkout would have it
(git core.autocrlf=true: CRLF line endings), with a UTF-8 BOM on every .sql
file, as an editor may add.

    crlf_tree.py SOURCE_TREE DEST_TREE
"""
import os
import sys

src, dst = sys.argv[1], sys.argv[2]
for root, _, files in os.walk(src):
    for name in files:
        path = os.path.join(root, name)
        out = os.path.join(dst, os.path.relpath(path, src))
        os.makedirs(os.path.dirname(out), exist_ok=True)
        data = open(path, "rb").read().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        if name.endswith(".sql"):
            data = b"\xef\xbb\xbf" + data
        with open(out, "wb") as f:
            f.write(data)
