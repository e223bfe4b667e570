#!/usr/bin/env python3
"""Runs schemagate-gen over many trees and compares two such runs, to show
that a change to the generator leaves its output byte-identical.

  scripts/gen_compare.py run GEN OUT [--tree DIR]... [--trees-under DIR]...
                                     [--auto DIR]... [--probes DIR]
                                     [--variants FILE]...
  scripts/gen_compare.py diff OLD_OUT NEW_OUT

`run` writes, for every tree and for --features=all and core (and for each
line "TREE --features=F" of a --variants file, e.g. the embedded catalogs'
command lines taken from a build), what
`GEN --tree=T --features=F --dev-database=off` produces: the catalog
(`--out-binary`, <name>.binpb; `--out`, the embedded <name>.cc), the lock lint's report (<name>.lint.json),
everything it prints with its exit code (<name>.log: the diagnostics of
broken trees). Trees given with --auto are also generated with
--dev-database=auto (<name>.all.auto.binpb: the catalog from a scratch
PostgreSQL). --probes DIR writes small trees into DIR (replaced) and adds
them: gating verbs, CREATE TABLE AS typing, partitions, LIKE, constraints,
renames, DO blocks, and the errors of each (see PROBES); give both runs the
same DIR, as diagnostics name the files.

`diff` compares every file of two runs byte for byte, lists what differs
(and what exists in one run only), and exits 1 when anything does.

Typical use: run with the old binary (save its output), rebuild, run with
the new one into another folder, diff.
"""
import argparse
import filecmp
import os
import shutil
import subprocess
import sys

FEATURES = ["all", "core"]

# Probe trees: cluster -> [up.sql of each migration]. Every tree has core,
# tasks (depends on core) and mail (depends on core only), so tasks' SQL
# that touches mail breaks the gating rule.
BASE_CORE = "CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL, name text);\n"
BASE_MAIL = ("CREATE TYPE mail_state AS ENUM ('new', 'sent');\n"
             "CREATE TABLE mailboxes (id bigint PRIMARY KEY, owner_id bigint REFERENCES users,"
             " state mail_state);\n")
BASE_TASKS = "CREATE TABLE tasks (id bigint PRIMARY KEY, owner_id bigint REFERENCES users);\n"

PROBES = {
    "gating_many": [
        "INSERT INTO mailboxes SELECT * FROM mailboxes m JOIN users u ON true;\n"
        "UPDATE tasks SET owner_id = 1 FROM mailboxes WHERE mailboxes.id = tasks.id;\n"
        "UPDATE mailboxes SET state = 'new' FROM tasks;\n"
        "ALTER TABLE mailboxes ADD COLUMN t bigint REFERENCES mailboxes;\n"
        "CREATE TABLE t2 (LIKE mailboxes, m mail_state, x bigint REFERENCES mailboxes);\n"
        "WITH mailboxes AS (SELECT 1) SELECT * FROM mailboxes;\n"
        "WITH x AS (INSERT INTO mailboxes DEFAULT VALUES RETURNING id) UPDATE tasks SET id = 1;\n"
        "CREATE INDEX ON mailboxes (owner_id);\n"
        "CREATE TRIGGER tr AFTER INSERT ON mailboxes FOR EACH ROW EXECUTE FUNCTION f();\n"
        "DELETE FROM mailboxes USING tasks;\n"
        "COMMENT ON COLUMN mailboxes.state IS 'x';\n"
        "COMMENT ON TABLE public.mailboxes IS 'x';\n"
        "ALTER TYPE mail_state ADD VALUE 'old';\n"
        "CREATE FUNCTION g(m mail_state) RETURNS mail_state LANGUAGE sql AS 'SELECT m';\n"
        "DROP TYPE mail_state;\n"
        "ALTER TABLE mailboxes RENAME TO mb;\n"
        "ALTER TABLE mailboxes SET SCHEMA other;\n"
        "DROP TABLE mailboxes;\n"
        "DROP VIEW mailboxes;\n"
        "SELECT 'x'::mail_state, CAST(NULL AS public.mail_state) FROM mailboxes;\n"
        "CREATE TABLE t3 (a int) INHERITS (mailboxes);\n"
        "CREATE TABLE t4 PARTITION OF mailboxes FOR VALUES IN (1);\n",
    ],
    "gating_down": None,  # special-cased below: the violation is in down.sql
    "ctas": [
        "CREATE TABLE src (a int, b text NOT NULL, c numeric(10,2), d timestamptz);\n"
        "CREATE TABLE c1 AS SELECT * FROM src;\n"
        "CREATE TABLE c2 AS SELECT s.*, 1 AS one FROM src s;\n"
        "CREATE TABLE c3 (x, y) AS SELECT a, b FROM src;\n"
        "CREATE TABLE c4 AS SELECT a::bigint, b::varchar(10) AS bb, lower(b)::text, '1'::int,"
        " (a + 1)::numeric FROM src;\n"
        "CREATE TABLE c5 AS SELECT 0, 1 AS one, 1.5, 'x', false, true, NULL, B'101' AS bits;\n"
        "CREATE TABLE c6 AS SELECT current_date, current_timestamp(2), localtime, current_user,"
        " session_user AS s;\n"
        "CREATE TABLE c7 AS SELECT now(), count(*), lower(b), pg_catalog.now(), my_f(), "
        "coalesce(a, 0), a + 1, CASE WHEN true THEN 1 END FROM src GROUP BY b, a;\n"
        "CREATE TABLE c8 AS SELECT a FROM src UNION SELECT 1;\n"
        "CREATE TABLE c9 AS VALUES (1, 'a');\n"
        "CREATE TABLE c10 AS SELECT FROM src;\n"
        "CREATE TABLE c11 AS SELECT x.a, y.b FROM src x JOIN src y ON true, "
        "(SELECT 1 AS q) z, generate_series(1, 2) g;\n"
        "CREATE TABLE c12 AS SELECT src.a, q FROM src, (SELECT 1 AS q) z;\n"
        "SELECT a, b INTO c13 FROM src;\n"
        "SELECT * INTO TEMP c14 FROM src;\n"
        "CREATE TABLE IF NOT EXISTS c1 AS SELECT 1;\n"
        "CREATE TABLE c1 AS SELECT 1;\n"
        "CREATE MATERIALIZED VIEW mv AS SELECT * FROM src;\n"
        "CREATE INDEX ON mv (a);\n"
        "CREATE TABLE c15 AS SELECT nosuch.*, missing FROM src;\n",
    ],
    "partitions": [
        "CREATE TABLE p (id bigint, k int, owner bigint REFERENCES users, PRIMARY KEY (id, k))"
        " PARTITION BY LIST (k);\n"
        "CREATE INDEX ON p (owner);\n"
        "CREATE TABLE p1 PARTITION OF p FOR VALUES IN (1) PARTITION BY LIST (id);\n"
        "CREATE TABLE p1a PARTITION OF p1 FOR VALUES IN (1);\n"
        "CREATE UNIQUE INDEX p_u ON p (id, k);\n"
        "CREATE INDEX p_only ON ONLY p (k);\n"
        "ALTER TABLE p ADD CONSTRAINT p_fk FOREIGN KEY (owner) REFERENCES users (id) ON DELETE CASCADE;\n"
        "ALTER TABLE p ADD CONSTRAINT p_ck CHECK (k > 0);\n"
        "CREATE TABLE p2 (id bigint NOT NULL, k int NOT NULL, owner bigint);\n"
        "CREATE INDEX p2_owner ON p2 (owner);\n"
        "ALTER TABLE p ATTACH PARTITION p2 FOR VALUES IN (2);\n"
        "ALTER TABLE p ATTACH PARTITION p2 FOR VALUES IN (2);\n"
        "ALTER TABLE p DETACH PARTITION p1;\n"
        "ALTER TABLE p ATTACH PARTITION nosuch FOR VALUES IN (3);\n"
        "CREATE TABLE p3 PARTITION OF nosuch FOR VALUES IN (1);\n"
        "CREATE TABLE inh (extra int) INHERITS (p2, users);\n",
    ],
    "like": [
        "CREATE TABLE src (id bigint PRIMARY KEY, a int UNIQUE, b text CHECK (b <> ''),"
        " CONSTRAINT named CHECK (a > 0));\n"
        "CREATE INDEX ON src (a, b);\n"
        "CREATE TABLE l1 (LIKE src INCLUDING ALL);\n"
        "CREATE TABLE l2 (LIKE src INCLUDING INDEXES, extra int);\n"
        "CREATE TABLE l3 (LIKE src INCLUDING CONSTRAINTS);\n"
        "CREATE TABLE l4 (LIKE src);\n"
        "CREATE INDEX src_lower ON src (lower(b));\n"
        "CREATE TABLE l5 (LIKE src INCLUDING ALL);\n"
        "CREATE TABLE l6 (LIKE nosuch);\n",
    ],
    "constraints": [
        "CREATE TABLE a (id bigint, x int, y int, z text, CONSTRAINT a_x CHECK (x > y),"
        " CHECK (x > 0), CHECK (y > 0 AND z <> ''), EXCLUDE USING gist (x WITH =));\n"
        "CREATE UNIQUE INDEX a_id_idx ON a (id);\n"
        "ALTER TABLE a ADD PRIMARY KEY USING INDEX a_id_idx;\n"
        "CREATE UNIQUE INDEX a_x_u ON a (x);\n"
        "ALTER TABLE a ADD CONSTRAINT a_xk UNIQUE USING INDEX a_x_u;\n"
        "ALTER TABLE a ADD CONSTRAINT bad UNIQUE USING INDEX nosuch;\n"
        "CREATE INDEX a_y ON a (y);\n"
        "ALTER TABLE a ADD UNIQUE USING INDEX a_y;\n"
        "ALTER TABLE a ADD PRIMARY KEY (x);\n"
        "CREATE TABLE b (id bigint PRIMARY KEY, a_id bigint REFERENCES a, x int, y int,"
        " UNIQUE (x, y) INCLUDE (id), FOREIGN KEY (x) REFERENCES a (x) ON UPDATE SET NULL);\n"
        "CREATE TABLE c (id int REFERENCES nokey);\n"
        "CREATE TABLE nokey2 (v int);\n"
        "CREATE TABLE d (id int REFERENCES nokey2);\n"
        "CREATE TABLE e (x int, y int, FOREIGN KEY (x, y) REFERENCES a (x));\n"
        "CREATE TABLE f (x int, FOREIGN KEY (nope) REFERENCES a (x));\n"
        "CREATE TABLE self (id int PRIMARY KEY, parent int REFERENCES self);\n"
        "ALTER TABLE b DROP CONSTRAINT b_x_fkey;\n"
        "ALTER TABLE b DROP CONSTRAINT nosuch;\n"
        "ALTER TABLE b DROP CONSTRAINT IF EXISTS nosuch;\n"
        "ALTER TABLE a DROP CONSTRAINT a_x;\n"
        "CREATE INDEX ON b (x, x, lower(y::text), (x + y), y);\n"
        "CREATE INDEX b_x_x1_lower_expr_y_idx ON b (x);\n"
        "CREATE INDEX IF NOT EXISTS b_x_x1_lower_expr_y_idx ON b (x);\n"
        "CREATE INDEX ON b (nope);\n"
        "CREATE INDEX ON s2.t (x);\n"
        "CREATE INDEX ON a (x) INCLUDE (y);\n",
    ],
    "alter_drop_rename": [
        "CREATE TABLE a (id bigint PRIMARY KEY, x int, y int);\n"
        "CREATE TABLE b (id bigint PRIMARY KEY, a_id bigint REFERENCES a, ax int);\n"
        "ALTER TABLE a ADD COLUMN IF NOT EXISTS x int, ADD COLUMN z serial, ADD COLUMN w text NOT NULL;\n"
        "ALTER TABLE a ADD COLUMN x int;\n"
        "ALTER TABLE a ALTER COLUMN x TYPE bigint, ALTER COLUMN y SET NOT NULL;\n"
        "ALTER TABLE a ALTER COLUMN nope DROP NOT NULL;\n"
        "ALTER TABLE a ALTER COLUMN id DROP NOT NULL;\n"
        "ALTER TABLE a ALTER COLUMN y DROP NOT NULL, ALTER COLUMN x ADD GENERATED ALWAYS AS IDENTITY;\n"
        "ALTER TABLE a DROP COLUMN id;\n"
        "ALTER TABLE a DROP COLUMN IF EXISTS nope, DROP COLUMN nope2;\n"
        "ALTER TABLE IF EXISTS nosuch ADD COLUMN q int;\n"
        "ALTER TABLE nosuch ADD COLUMN q int;\n"
        "ALTER TABLE b RENAME COLUMN a_id TO a_ref;\n"
        "ALTER TABLE a RENAME COLUMN id TO a_id;\n"
        "ALTER TABLE a RENAME COLUMN nope TO x2;\n"
        "ALTER TABLE b RENAME CONSTRAINT b_a_id_fkey TO b_fk;\n"
        "ALTER TABLE b RENAME CONSTRAINT b_pkey TO b_pk;\n"
        "ALTER INDEX b_pk RENAME TO b_pk2;\n"
        "CREATE INDEX b_ax ON b (ax);\n"
        "ALTER INDEX b_ax RENAME TO b_ax2;\n"
        "DROP INDEX b_ax2;\n"
        "DROP INDEX nosuch;\n"
        "DROP INDEX IF EXISTS nosuch;\n"
        "ALTER TABLE b RENAME TO b2;\n"
        "CREATE SCHEMA s;\n"
        "ALTER TABLE a SET SCHEMA s;\n"
        "ALTER TABLE s.a RENAME TO a2;\n"
        "ALTER TABLE IF EXISTS nosuch SET SCHEMA s;\n"
        "ALTER TABLE IF EXISTS nosuch RENAME TO x;\n"
        "CREATE TABLE s.c (id int PRIMARY KEY);\n"
        "CREATE INDEX ci ON s.c (id);\n"
        "CREATE INDEX ci ON s.c (id);\n"
        "DROP TABLE s.a2;\n"
        "DROP TABLE s.a2 CASCADE;\n"
        "DROP TABLE IF EXISTS nosuch, s.c;\n"
        "DROP TABLE nosuch;\n"
        "CREATE SEQUENCE seq1;\n"
        "DROP SEQUENCE seq1;\n"
        "CREATE VIEW v AS SELECT 1;\n"
        "ALTER TABLE v ADD COLUMN x int;\n"
        "DROP VIEW v;\n"
        "CREATE TABLE users (id int);\n",
    ],
    "bodies": [
        "CREATE TABLE t (id int);\n"
        "DO $$ BEGIN IF NOT EXISTS (SELECT 1) THEN CREATE TABLE made_by_do (id int); END IF; END $$;\n"
        "DO $$ BEGIN EXECUTE 'ALTER TABLE t ADD COLUMN e int'; END $$;\n"
        "DO $$ BEGIN PERFORM 1; END $$;\n"
        "DO $$ BEGIN CREATE TEMP TABLE tmp (x int); END $$;\n"
        "CREATE FUNCTION mk() RETURNS void LANGUAGE plpgsql AS $$ BEGIN CREATE TABLE made_by_fn (id int); END $$;\n"
        "CREATE PROCEDURE mkp() LANGUAGE plpgsql AS $$ BEGIN CREATE TABLE made_by_proc (id int); END $$;\n"
        "CREATE FUNCTION ok() RETURNS int LANGUAGE sql AS 'SELECT 1';\n"
        "SELECT ok();\n"
        "SELECT mk();\n"
        "CALL mkp();\n"
        "CALL other(mk());\n"
        "SELECT public.mk();\n",
        "ALTER TABLE made_by_do ADD COLUMN more int;\n"
        "ALTER TABLE made_by_fn ADD COLUMN more int;\n",
    ],
}


def write_tree(root, tasks_sql, tasks_down=None):
    def cluster(name, deps, ups, downs=None):
        os.makedirs(os.path.join(root, name), exist_ok=True)
        with open(os.path.join(root, name, "cluster.textproto"), "w") as f:
            f.write('name: "%s"\ndescription: "%s"\n' % (name, name))
            for d in deps:
                f.write('depends_on: "%s"\n' % d)
        for i, up in enumerate(ups, 1):
            d = os.path.join(root, name, "%04d_m%d" % (i, i))
            os.makedirs(d, exist_ok=True)
            with open(os.path.join(d, "up.sql"), "w") as f:
                f.write(up)
            with open(os.path.join(d, "down.sql"), "w") as f:
                f.write((downs or {}).get(i, "SELECT 1;\n"))
    cluster("core", [], [BASE_CORE])
    cluster("mail", ["core"], [BASE_MAIL])
    cluster("tasks", ["core"], [BASE_TASKS] + tasks_sql,
            {len(tasks_sql) + 1: tasks_down} if tasks_down else None)


def write_probes(out):
    shutil.rmtree(out, ignore_errors=True)
    trees = []
    for name, sql in PROBES.items():
        root = os.path.join(out, name)
        shutil.rmtree(root, ignore_errors=True)
        if sql is None:
            write_tree(root, ["CREATE TABLE t (id int);\n"],
                       "DROP TABLE mailboxes; DROP VIEW mailboxes; DELETE FROM mailboxes;"
                       " ALTER TABLE mailboxes DROP COLUMN state; DROP TYPE mail_state;\n")
        else:
            write_tree(root, sql)
        trees.append(root)
        # Each statement of a probe also on its own, so that one error does
        # not hide what the statements after it would report.
        if sql is not None:
            for i, up in enumerate(sql):
                for j, stmt in enumerate(s for s in up.split(";\n") if s.strip()):
                    one = os.path.join(out, "%s_%d_%02d" % (name, i, j))
                    shutil.rmtree(one, ignore_errors=True)
                    prefix = [u for u in sql[:i]]
                    # The statements before it in the same migration, too,
                    # as their own migration (what it builds on).
                    before = ";\n".join(s for s in up.split(";\n")[:j] if s.strip())
                    ups = prefix + ([before + ";\n"] if before else []) + [stmt + ";\n"]
                    write_tree(one, ups)
                    trees.append(one)
    return trees


def name_of(tree):
    return tree.strip("/").replace("/", "_")


def run_gen(gen, tree, features, out_base, dev_database):
    args = [gen, "--tree=" + tree, "--features=" + features, "--out=" + out_base + ".cc",
            "--out-binary=" + out_base + ".binpb", "--dev-database=" + dev_database]
    if dev_database == "off":
        args.append("--lint-report=" + out_base + ".lint.json")
    p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    with open(out_base + ".log", "wb") as f:
        f.write(p.stdout)
        f.write(b"\nexit %d\n" % p.returncode)


def run(args):
    os.makedirs(args.out, exist_ok=True)
    trees = list(args.tree)
    for under in args.trees_under:
        for d in sorted(os.listdir(under)):
            if os.path.isdir(os.path.join(under, d)):
                trees.append(os.path.join(under, d))
    if args.probes:
        trees += write_probes(args.probes)
    runs = [(tree, features) for tree in trees for features in FEATURES]
    for path in args.variants:
        with open(path) as f:
            for line in f:
                if line.strip():
                    tree, flag = line.split()
                    runs.append((tree, flag.split("=", 1)[1]))
    for tree, features in runs:
        base = os.path.join(args.out, "%s.%s" % (name_of(tree), features.replace(",", "+")))
        run_gen(args.gen, tree, features, base, "off")
    for tree in args.auto:
        base = os.path.join(args.out, "%s.all.auto" % name_of(tree))
        run_gen(args.gen, tree, "all", base, "auto")
    print("%d runs into %s" % (len(runs) + len(args.auto), args.out))


def diff(args):
    def files(root):
        out = set()
        for d, _, names in os.walk(root):
            for n in names:
                out.add(os.path.relpath(os.path.join(d, n), root))
        return out
    old, new = files(args.old), files(args.new)
    differ = sorted(f for f in old & new
                    if not filecmp.cmp(os.path.join(args.old, f), os.path.join(args.new, f),
                                       shallow=False))
    only_old, only_new = sorted(old - new), sorted(new - old)
    kinds = {}
    for f in old & new:
        kind = f.split(".", 1)[1] if "." in f else f
        kinds.setdefault(kind, [0, 0])[0] += 1
    for f in differ:
        kind = f.split(".", 1)[1] if "." in f else f
        kinds[kind][1] += 1
    for kind, (n, d) in sorted(kinds.items()):
        print("%-20s %5d compared, %d differ" % (kind, n, d))
    for f in differ:
        print("DIFFERS  " + f)
    for f in only_old:
        print("ONLY OLD " + f)
    for f in only_new:
        print("ONLY NEW " + f)
    same = not differ and not only_old and not only_new
    print("identical" if same else "NOT identical")
    return 0 if same else 1


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("gen")
    r.add_argument("out")
    r.add_argument("--tree", action="append", default=[])
    r.add_argument("--trees-under", action="append", default=[])
    r.add_argument("--auto", action="append", default=[])
    r.add_argument("--variants", action="append", default=[], metavar="FILE")
    r.add_argument("--probes", metavar="DIR")
    d = sub.add_parser("diff")
    d.add_argument("old")
    d.add_argument("new")
    args = p.parse_args()
    if args.cmd == "run":
        run(args)
        return 0
    return diff(args)


if __name__ == "__main__":
    sys.exit(main())
