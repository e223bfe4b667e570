#!/usr/bin/env python3
"""Diagrams of the schema are accepted by their tools and show the catalog.

For each schemagate binary given (the main build and every feature-set
variant of the test build):
  - `catalog --format=dot` (keys, and --columns) is laid out and rendered by
    Graphviz's dot without an error or a warning, and the SVG holds one
    group per enabled cluster, one node per table and one edge per foreign
    key of `catalog --format=json`; an edge between clusters carries the
    features that gate it, bridges are dashed;
  - `catalog --format=mermaid` is well-formed erDiagram (a structural check
    of the grammar subset we emit: front matter, entity blocks, attribute
    lines, relationship lines, comments) with one entity per table and one
    relationship per foreign key;
  - for the first binary, the same per cluster (`--cluster=<name>`).

    check_diagrams.py SCHEMAGATE_BIN...
"""
import json
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

failures = []
DOT = shutil.which("dot")


def fail(msg):
    failures.append(msg)
    print("FAIL:", msg)


def run(args, stdin=None):
    return subprocess.run(args, input=stdin, capture_output=True, text=True, timeout=600)


def catalog(binary):
    r = run([binary, "catalog", "--compact"])
    if r.returncode != 0:
        fail(f"{binary} catalog: exit {r.returncode}: {r.stderr}")
        return None
    return json.loads(r.stdout)


def expected(cat, selected=None):
    """Tables, edges and clusters a diagram of `cat` narrowed to `selected` shows."""
    table_cluster = {}
    for c in cat["clusters"]:
        for t in c["tables"]:
            table_cluster[t["name"]] = c["name"]
    sel = set(selected) if selected else set(table_cluster.values()) | {
        c["name"] for c in cat["clusters"]}
    tables, edges = set(), []
    for c in cat["clusters"]:
        for t in c["tables"]:
            if c["name"] in sel:
                tables.add(t["name"])
            for fk in t["foreign_keys"]:
                to = fk["references_table"]
                to = to[len("public."):] if to.startswith("public.") else to
                if c["name"] not in sel and fk["cluster"] not in sel:
                    continue
                tables.update({t["name"], to})
                between = (c["name"] != table_cluster.get(to) or fk["cluster"] != c["name"])
                edges.append((t["name"], to, fk["name"], between,
                              fk["cluster"]))
    clusters = {table_cluster[t] for t in tables} | (sel & {c["name"] for c in cat["clusters"]})
    bridges = {c["name"] for c in cat["clusters"] if c["bridge"]}
    return tables, edges, clusters, bridges


def check_dot(where, text, cat, selected=None):
    r = run([DOT, "-Tsvg"], stdin=text)
    if r.returncode != 0 or r.stderr.strip():
        fail(f"{where}: dot exit {r.returncode}: {r.stderr.strip()[:2000]}")
        return
    try:
        svg = ET.fromstring(r.stdout)
    except ET.ParseError as e:
        fail(f"{where}: dot wrote SVG that does not parse: {e}")
        return
    ns = "{http://www.w3.org/2000/svg}"
    groups = {"node": set(), "cluster": {}, "edge": []}
    for g in svg.iter(ns + "g"):
        cls = g.get("class")
        title = g.find(ns + "title")
        if cls not in groups or title is None:
            continue
        if cls == "node":
            groups["node"].add(title.text)
        elif cls == "cluster":
            paths = [p.get("stroke-dasharray") for p in g.iter() if p.get("stroke-dasharray")]
            groups["cluster"][title.text] = bool(paths)
        else:
            groups["edge"].append(g)
    tables, edges, clusters, bridges = expected(cat, selected)
    nodes = {n[2:] for n in groups["node"] if n.startswith("t:")}
    if nodes != tables:
        fail(f"{where}: tables drawn {sorted(nodes ^ tables)[:10]} differ from the catalog's")
    drawn_clusters = {c[len("cluster_"):] for c in groups["cluster"]}
    # A cluster without tables is drawn through its note node.
    notes = {n[len("note:"):] for n in groups["node"] if n.startswith("note:")}
    if drawn_clusters != clusters:
        fail(f"{where}: cluster groups {sorted(drawn_clusters)} != {sorted(clusters)}")
    for b in bridges & drawn_clusters:
        if not groups["cluster"]["cluster_" + b]:
            fail(f"{where}: bridge cluster {b} is not drawn dashed")
    for c in drawn_clusters - bridges:
        if groups["cluster"]["cluster_" + c]:
            fail(f"{where}: plain cluster {c} is drawn dashed")
    if len(groups["edge"]) != len(edges):
        fail(f"{where}: {len(groups['edge'])} edges drawn, the catalog has {len(edges)} foreign keys")
    # Each edge between clusters has a label (its gate); inside one, none.
    labelled = sum(1 for g in groups["edge"] if any(e.tag == ns + "text" for e in g.iter()))
    between = sum(1 for e in edges if e[3])
    if labelled != between:
        fail(f"{where}: {labelled} edges labelled with their gate, {between} run between clusters")
    return len(nodes), len(groups["edge"]), notes


WORD = r"[A-Za-z_][A-Za-z0-9_]*"
ATTRIBUTE = re.compile(rf"^    ({WORD}) ({WORD})(?: ((?:PK|FK|UK)(?:, (?:PK|FK|UK))*))?(?: \"[^\"\n]*\")?$")
RELATION = re.compile(
    rf"^  ({WORD}) (\|\||\|o|\}}o|\}}\|)(--|\.\.)(o\{{|\|\{{|\|\||o\|) ({WORD}) : \"([^\"\n]*)\"$")


def check_mermaid(where, text, cat, selected=None):
    lines = text.split("\n")
    if lines[-1] != "":
        fail(f"{where}: mermaid output does not end with a newline")
    lines = lines[:-1]
    if lines[:1] != ["---"] or "---" not in lines[1:]:
        fail(f"{where}: no front matter")
        return
    end = lines.index("---", 1)
    for line in lines[1:end]:
        if not re.match(r'^title: "[^"]*"$', line):
            fail(f"{where}: front matter line {line!r}")
    if lines[end + 1:end + 2] != ["erDiagram"]:
        fail(f"{where}: no erDiagram header after the front matter")
        return
    entities, relations, block = set(), [], None
    for n, line in enumerate(lines[end + 2:], start=end + 3):
        if re.match(r"^\s*%%", line):
            continue
        if block is not None:
            if line == "  }":
                block = None
            elif not ATTRIBUTE.match(line):
                fail(f"{where}:{n}: bad attribute line {line!r}")
            continue
        m = re.match(rf"^  ({WORD}) \{{$", line)
        if m:
            if m.group(1) in entities:
                fail(f"{where}:{n}: entity {m.group(1)} declared twice")
            entities.add(m.group(1))
            block = m.group(1)
            continue
        m = RELATION.match(line)
        if m:
            relations.append((m.group(5), m.group(1), m.group(6)))
            continue
        fail(f"{where}:{n}: not erDiagram: {line!r}")
    if block is not None:
        fail(f"{where}: entity block {block} is not closed")
    for frm, to, _ in relations:
        for e in (frm, to):
            if e not in entities:
                fail(f"{where}: relationship names undeclared entity {e}")
    tables, edges, _, _ = expected(cat, selected)
    if entities != {re.sub(r"[^A-Za-z0-9_]", "_", t) for t in tables}:
        fail(f"{where}: entities differ from the catalog's tables")
    if len(relations) != len(edges):
        fail(f"{where}: {len(relations)} relationships, {len(edges)} foreign keys")
    gated = sum(1 for r in relations if "(gated: " in r[2])
    between = sum(1 for e in edges if e[3])
    if gated != between:
        fail(f"{where}: {gated} relationships labelled gated, {between} run between clusters")
    return len(entities), len(relations)


def check_binary(binary, per_cluster):
    cat = catalog(binary)
    if cat is None:
        return
    features = ",".join(cat["features"])
    runs = [([], None), (["--columns"], None)]
    if per_cluster:
        runs += [([f"--cluster={c['name']}"], [c["name"]]) for c in cat["clusters"]]
    for extra, selected in runs:
        for fmt in ("dot", "mermaid"):
            where = f"{binary} --format={fmt} {' '.join(extra)}".strip()
            r = run([binary, "catalog", f"--format={fmt}"] + extra)
            if r.returncode != 0:
                fail(f"{where}: exit {r.returncode}: {r.stderr}")
                continue
            if fmt == "dot":
                got = check_dot(where, r.stdout, cat, selected)
            else:
                got = check_mermaid(where, r.stdout, cat, selected)
            if got and not extra:
                print(f"{binary} ({features}): {fmt}: {got[0]} tables, {got[1]} edges")
    # Narrowing to a cluster that is not enabled is a usage error naming it.
    r = run([binary, "catalog", "--format=dot", "--cluster=no_such_cluster"])
    if r.returncode != 2 or 'unknown cluster "no_such_cluster"' not in r.stderr:
        fail(f"{binary} --cluster=no_such_cluster: exit {r.returncode}: {r.stderr}")


if DOT is None:
    sys.exit("dot (graphviz) is not installed; scripts/install-deps.sh installs it")
bins = sys.argv[1:]
if not bins:
    sys.exit(__doc__)
for i, b in enumerate(bins):
    check_binary(b, per_cluster=(i == 0))
if failures:
    sys.exit(f"{len(failures)} problem(s)")
print(f"diagrams: {len(bins)} builds ok")
