#!/usr/bin/env python3
"""Turns a schemagate tree into projects for the peer migration tools, with
the same SQL per migration, in the same apply order:

  OUT/sqitch/      sqitch.conf, sqitch.plan, deploy/<change>.sql, revert/...
                   Sqitch runs each script with psql and does not wrap it in
                   a transaction: the usual practice (and sqitch's template)
                   is BEGIN; ... COMMIT; in the script, done here, except for
                   a no-transaction migration (CREATE INDEX CONCURRENTLY),
                   which runs as is.
  OUT/sql-migrate/ migrations/<nnnnn>_<cluster>_<version>.sql with
                   `-- +migrate Up` / `-- +migrate Down`; sql-migrate runs
                   each file in one transaction, statement by statement
                   (split at a line ending in `;`, so a statement with a
                   dollar-quoted body is wrapped in StatementBegin/End); a
                   no-transaction migration gets `-- +migrate Up notransaction`.
  OUT/all.sql      every up.sql concatenated for `psql -1 -f` (CONCURRENTLY
                   dropped: it cannot run inside one transaction).
  OUT/per-transaction.sql  every up.sql in BEGIN; ... COMMIT; (a
                   no-transaction one as is): schemagate's transactions
                   without its bookkeeping, for `psql -f`.

  scripts/bench/peers.py --catalog CATALOG_JSON --tree TREE --out OUT

CATALOG_JSON is `schemagate catalog --compact` of the build (its apply_order
and each migration's path).
"""
import argparse
import json
import os
import re
import shutil


def split_statements(sql):
    """Splits SQL into statements (text up to and including each `;`),
    aware of quotes, comments and dollar quoting. Returns (text, has_dollar)."""
    out, start, i, n = [], 0, 0, len(sql)
    dollar = False
    while i < n:
        ch = sql[i]
        if ch == "-" and sql.startswith("--", i):
            j = sql.find("\n", i)
            i = n if j < 0 else j + 1
        elif ch == "/" and sql.startswith("/*", i):
            j = sql.find("*/", i + 2)
            i = n if j < 0 else j + 2
        elif ch in "'\"":
            j = i + 1
            while j < n:
                if sql[j] == ch:
                    if j + 1 < n and sql[j + 1] == ch:
                        j += 2
                        continue
                    break
                j += 1
            i = j + 1
        elif ch == "$":
            m = re.match(r"\$([A-Za-z_][A-Za-z0-9_]*)?\$", sql[i:])
            if m and not (i > 0 and (sql[i - 1].isalnum() or sql[i - 1] == "_")):
                tag = m.group(0)
                j = sql.find(tag, i + len(tag))
                i = n if j < 0 else j + len(tag)
                dollar = True
            else:
                i += 1
        elif ch == ";":
            out.append((sql[start:i + 1], dollar))
            start, dollar = i + 1, False
            i += 1
        else:
            i += 1
    rest = sql[start:]
    if rest.strip() and re.sub(r"--[^\n]*", "", rest).strip():
        out.append((rest, dollar))
    return out


def sql_migrate_section(sql):
    parts = []
    for text, dollar in split_statements(sql):
        text = text.strip("\n")
        if not text.strip():
            continue
        if dollar:
            parts.append("-- +migrate StatementBegin\n" + text + "\n-- +migrate StatementEnd")
        else:
            parts.append(text)
    return "\n".join(parts) + "\n"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--catalog", required=True)
    p.add_argument("--tree", required=True)
    p.add_argument("--out", required=True)
    a = p.parse_args()
    cat = json.load(open(a.catalog))
    migs = {}
    for c in cat["clusters"]:
        for m in c["migrations"]:
            migs[f"{c['name']}/{m['version']}"] = (c["name"], m)
    if os.path.exists(a.out):
        shutil.rmtree(a.out)
    sq = os.path.join(a.out, "sqitch")
    sm = os.path.join(a.out, "sql-migrate", "migrations")
    for d in (os.path.join(sq, "deploy"), os.path.join(sq, "revert"), sm):
        os.makedirs(d)
    with open(os.path.join(sq, "sqitch.conf"), "w") as f:
        f.write("[core]\n\tengine = pg\n\tplan_file = sqitch.plan\n\ttop_dir = .\n")
    plan = ["%syntax-version=1.0.0", "%project=schemagate_bench", ""]
    all_sql, per_tx = [], []
    no_tx = 0
    for i, key in enumerate(cat["apply_order"], 1):
        cluster, m = migs[key]
        up = open(os.path.join(a.tree, m["path"]), encoding="utf-8").read()
        down = open(os.path.join(a.tree, m["path"][: -len("up.sql")] + "down.sql"), encoding="utf-8").read()
        notx = m.get("no_transaction", False)
        no_tx += notx
        change = f"{cluster}_{m['version']:04d}_{m['name']}"
        plan.append(f"{change} 2026-01-01T00:00:00Z Bench <bench@example.com> # {key}")
        wrap = (lambda s: s) if notx else (lambda s: "BEGIN;\n\n" + s + "\nCOMMIT;\n")
        open(os.path.join(sq, "deploy", change + ".sql"), "w").write(wrap(up))
        open(os.path.join(sq, "revert", change + ".sql"), "w").write(wrap(down))
        with open(os.path.join(sm, f"{i:05d}_{change}.sql"), "w") as f:
            f.write("-- +migrate Up" + (" notransaction" if notx else "") + "\n")
            f.write(sql_migrate_section(up))
            f.write("\n-- +migrate Down" + (" notransaction" if notx else "") + "\n")
            f.write(sql_migrate_section(down))
        all_sql.append(up.replace(" CONCURRENTLY ", " "))
        per_tx.append(wrap(up))
    open(os.path.join(sq, "sqitch.plan"), "w").write("\n".join(plan) + "\n")
    open(os.path.join(a.out, "all.sql"), "w").write("\n".join(all_sql))
    open(os.path.join(a.out, "per-transaction.sql"), "w").write("\n".join(per_tx))
    print(f"{a.out}: {len(cat['apply_order'])} migrations ({no_tx} no-transaction)")


if __name__ == "__main__":
    main()
