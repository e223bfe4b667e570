#!/usr/bin/env python3
"""Flattens a schemagate tree into another tool's flat migration folder, and
writes the import map that splits it back (for the import tests).

  flatten_tree.py --schemagate BIN --tree TREE --format FORMAT --out DIR --map MAP

BIN is a full build of TREE: the apply order of its `schemagate catalog` is
the flat order. Formats: diesel (mixing 2017-09-23-182408_x and
20170923182409_y folder names, metadata.toml run_in_transaction = false for
no-transaction migrations), golang-migrate (<n>_<name>.up.sql/.down.sql),
flyway (V1_<n>__<name>.sql, U... for down), sql (<n>_<name>.sql /
<n>_<name>.down.sql). `-- schemagate:` directive lines are dropped.
"""
import argparse
import datetime
import json
import os
import shutil
import subprocess
import sys


def strip_directives(text):
    return "".join(l for l in text.splitlines(True)
                   if not l.strip().startswith("-- schemagate:"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--schemagate", required=True)
    ap.add_argument("--tree", required=True)
    ap.add_argument("--format", required=True,
                    choices=["diesel", "golang-migrate", "flyway", "sql"])
    ap.add_argument("--out", required=True)
    ap.add_argument("--map", required=True)
    args = ap.parse_args()
    catalog = json.loads(subprocess.run([args.schemagate, "catalog"], check=True,
                                        capture_output=True, text=True).stdout)
    migrations = {}
    for c in catalog["clusters"]:
        for m in c["migrations"]:
            migrations[f"{c['name']}/{m['version']}"] = (c, m)
    shutil.rmtree(args.out, ignore_errors=True)
    os.makedirs(args.out)
    start = datetime.datetime(2019, 3, 4, 10, 0, 0)
    for i, key in enumerate(catalog["apply_order"]):
        cluster, m = migrations[key]
        folder = os.path.dirname(m["path"])
        up = strip_directives(open(os.path.join(args.tree, folder, "up.sql")).read())
        down = open(os.path.join(args.tree, folder, "down.sql")).read()
        name = f"{cluster['name']}_{m['name']}"
        n = i + 1
        if args.format == "diesel":
            t = start + datetime.timedelta(days=n, seconds=n)
            version = (t.strftime("%Y-%m-%d-%H%M%S") if n % 2
                       else t.strftime("%Y%m%d%H%M%S"))
            d = os.path.join(args.out, f"{version}_{name}")
            os.makedirs(d, exist_ok=True)
            open(os.path.join(d, "up.sql"), "w").write(up)
            open(os.path.join(d, "down.sql"), "w").write(down)
            if m["no_transaction"]:
                open(os.path.join(d, "metadata.toml"), "w").write(
                    "run_in_transaction = false\n")
        elif args.format == "golang-migrate":
            open(os.path.join(args.out, f"{n:06d}_{name}.up.sql"), "w").write(up)
            open(os.path.join(args.out, f"{n:06d}_{name}.down.sql"), "w").write(down)
        elif args.format == "flyway":
            open(os.path.join(args.out, f"V1_{n}__{name}.sql"), "w").write(up)
            open(os.path.join(args.out, f"U1_{n}__{name}.sql"), "w").write(down)
        else:
            open(os.path.join(args.out, f"{n:04d}_{name}.sql"), "w").write(up)
            open(os.path.join(args.out, f"{n:04d}_{name}.down.sql"), "w").write(down)
    with open(args.map, "w") as out:
        out.write("# proto-message: schemagate.v1.ImportMap\n")
        out.write('default_cluster: "core"\n')
        for c in catalog["clusters"]:
            if c["name"] == "core":
                continue
            out.write("cluster {\n")
            out.write(f'  name: "{c["name"]}"\n')
            out.write(f'  description: {json.dumps(c["description"])}\n')
            for t in c["tables"]:
                name = t["name"] if isinstance(t, dict) else t
                out.write(f'  tables: "{name}"\n')
            for f in c["requires_features"]:
                out.write(f'  requires_features: "{f}"\n')
            out.write("}\n")


if __name__ == "__main__":
    sys.exit(main())
