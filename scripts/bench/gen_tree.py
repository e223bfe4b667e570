#!/usr/bin/env python3
"""Generates a migrations tree in schemagate's format (docs/TREE_FORMAT.md)
for the benchmarks: N migrations spread over C clusters (core plus c01..),
each cluster depending on core and one or two earlier clusters, with SQL that
looks like an application's: CREATE TABLE with foreign keys into the
cluster's dependency closure, CHECK constraints and indexes, enum types,
link tables, ALTER TABLE ADD COLUMN (also on a dependency's tables, which
the gating rules allow) and now and then a no-transaction migration with
CREATE INDEX CONCURRENTLY. Every up.sql has a down.sql that undoes it. The
tree passes the build's lint (schemagate-gen --tree OUT --check).

About one table per migration: 5,000 migrations make ~5,000 tables.

  scripts/bench/gen_tree.py N_MIGRATIONS N_CLUSTERS OUT_DIR [--seed S]
                            [--imported-from diesel]

Deterministic for a given seed; OUT_DIR is replaced. --imported-from diesel
marks each migration as imported from a flat Diesel migration (`--
schemagate:imported-from diesel <version>`, versions 20200101000001 and up,
one per migration), as `schemagate adopt` checks them; the SQL is the same.
"""
import argparse
import os
import random
import shutil


def table_sql(name, refs, rng, enum_type=None):
    """CREATE TABLE name with a foreign key to each of refs, plus indexes."""
    cols = ["    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY"]
    stmts_after = []
    for i, ref in enumerate(refs):
        col = f"{ref}_id"
        null = " NOT NULL" if i == 0 else ""
        action = "CASCADE" if i == 0 else "SET NULL"
        cols.append(f"    {col} bigint{null} REFERENCES {ref} (id) ON DELETE {action}")
        stmts_after.append(f"CREATE INDEX {name}_{col}_idx ON {name} ({col});")
    cols.append("    name varchar(200) NOT NULL")
    if enum_type:
        cols.append(f"    kind {enum_type} NOT NULL DEFAULT 'a'")
    else:
        cols.append("    status varchar(16) NOT NULL DEFAULT 'active'")
    extra = rng.choice([
        ["    description text", "    position integer NOT NULL DEFAULT 0"],
        ["    amount numeric(14, 2) NOT NULL DEFAULT 0", "    currency char(3) NOT NULL DEFAULT 'EUR'"],
        ["    starts_at timestamptz", "    ends_at timestamptz"],
        ["    settings jsonb NOT NULL DEFAULT '{}'::jsonb"],
    ])
    cols += extra
    cols += ["    created_at timestamptz NOT NULL DEFAULT now()",
             "    updated_at timestamptz NOT NULL DEFAULT now()"]
    if not enum_type:
        cols.append(f"    CONSTRAINT {name}_status_chk CHECK (status IN ('active', 'archived', 'deleted'))")
    if "    starts_at timestamptz" in extra:
        cols.append(f"    CONSTRAINT {name}_dates_chk CHECK (ends_at IS NULL OR starts_at IS NULL OR ends_at >= starts_at)")
    if refs:
        cols.append(f"    CONSTRAINT {name}_{refs[0]}_name_key UNIQUE ({refs[0]}_id, name)")
    create = f"CREATE TABLE {name} (\n" + ",\n".join(cols) + "\n);"
    return [create] + stmts_after, [f"DROP TABLE {name};"]


class Cluster:
    def __init__(self, name, deps):
        self.name = name
        self.deps = deps          # direct dependencies (core implied)
        self.closure = set()      # dependency closure without itself
        self.tables = []
        self.count = 0            # tables created so far (names)
        self.types = 0

    def new_table(self):
        self.count += 1
        return f"{self.name}_t{self.count}"


def generate(n_migrations, n_clusters, out, seed, imported_from=None):
    rng = random.Random(seed)
    names = ["core"] + [f"c{i:02d}" for i in range(1, n_clusters)]
    clusters = {}
    for i, name in enumerate(names):
        deps = []
        if i >= 2:
            deps = sorted({names[rng.randrange(1, i)] for _ in range(rng.choice([1, 2]))})
        c = Cluster(name, deps)
        c.closure = {"core"} if name != "core" else set()
        for d in deps:
            c.closure |= {d} | clusters[d].closure
        clusters[name] = c

    per = [n_migrations // n_clusters + (1 if i < n_migrations % n_clusters else 0)
           for i in range(n_clusters)]
    if os.path.exists(out):
        shutil.rmtree(out)
    os.makedirs(out)
    stats = {"migrations": 0, "tables": 0, "no_transaction": 0}

    # Clusters in index order: every dependency comes first, so when a
    # cluster's migrations are generated all tables of its closure exist.
    for name, count in zip(names, per):
        c = clusters[name]
        cdir = os.path.join(out, name)
        os.makedirs(cdir)
        with open(os.path.join(cdir, "cluster.textproto"), "w") as f:
            f.write("# proto-message: schemagate.v1.ClusterManifest\n")
            f.write(f'name: "{name}"\n')
            f.write(f'description: "Generated cluster {name} for the benchmarks."\n')
            for d in ["core"] * (name != "core") + c.deps:
                f.write(f'depends_on: "{d}"\n')
        closure_tables = [t for d in sorted(c.closure) for t in clusters[d].tables]
        for v in range(1, count + 1):
            up, down, directives = [], [], []
            own = c.tables

            def refs(k):
                pool_own = own[-20:]
                out_refs = []
                for _ in range(k):
                    pool = pool_own if (pool_own and (not closure_tables or rng.random() < 0.6)) else closure_tables
                    if pool:
                        t = rng.choice(pool)
                        if t not in out_refs:
                            out_refs.append(t)
                return out_refs

            if v == 1:
                kind, slug = "init", "init"
            else:
                r = rng.random()
                if r < 0.55:
                    kind, slug = "tables", "add_tables"
                elif r < 0.70:
                    kind, slug = "link", "add_links"
                elif r < 0.80:
                    kind, slug = "enum", "add_kinds"
                elif r < 0.97 or not own:
                    kind, slug = "columns", "add_columns"
                else:
                    kind, slug = "concurrent", "concurrent_indexes"
            if kind == "columns" and not (own or closure_tables):
                kind, slug = "tables", "add_tables"
            if kind == "concurrent" and not own:
                kind, slug = "tables", "add_tables"

            new_tables = []
            if kind in ("init", "tables"):
                for _ in range(2 if kind == "init" or rng.random() < 0.4 else 1):
                    t = c.new_table()
                    u, d = table_sql(t, refs(rng.choice([1, 2, 2, 3])), rng)
                    up += u
                    down = d + down
                    own.append(t)
                    new_tables.append(t)
            elif kind == "link":
                t = c.new_table()
                rs = refs(2)
                u, d = table_sql(t, rs, rng)
                up += u
                down = d + down
                own.append(t)
                new_tables.append(t)
            elif kind == "enum":
                c.types += 1
                ty = f"{name}_kind{c.types}"
                up.append(f"CREATE TYPE {ty} AS ENUM ('a', 'b', 'c', 'd');")
                t = c.new_table()
                u, d = table_sql(t, refs(1), rng, enum_type=ty)
                up += u
                own.append(t)
                new_tables.append(t)
                down = d + [f"DROP TYPE {ty};"] + down
            elif kind == "columns":
                pool = own[-10:] if own and rng.random() < 0.7 else closure_tables or own
                target = rng.choice(pool)
                col = f"{name}_v{v}_note"
                stmts = [f"ADD COLUMN {col} text", f"ADD COLUMN {name}_v{v}_flag boolean NOT NULL DEFAULT false"]
                down_stmts = [f"DROP COLUMN {name}_v{v}_flag", f"DROP COLUMN {col}"]
                ref = refs(1)
                if ref and ref[0] != target:
                    fk = f"{name}_v{v}_{ref[0]}_id"
                    stmts.append(f"ADD COLUMN {fk} bigint REFERENCES {ref[0]} (id) ON DELETE SET NULL")
                    down_stmts.insert(0, f"DROP COLUMN {fk}")
                    idx = f"{target}_{name}_v{v}_idx"
                    up.append(f"ALTER TABLE {target}\n    " + ",\n    ".join(stmts) + ";")
                    up.append(f"CREATE INDEX {idx} ON {target} ({fk});")
                    down = [f"DROP INDEX {idx};",
                            f"ALTER TABLE {target}\n    " + ",\n    ".join(down_stmts) + ";"] + down
                else:
                    up.append(f"ALTER TABLE {target}\n    " + ",\n    ".join(stmts) + ";")
                    down = [f"ALTER TABLE {target}\n    " + ",\n    ".join(down_stmts) + ";"] + down
            elif kind == "concurrent":
                directives.append("-- schemagate:no-transaction")
                stats["no_transaction"] += 1
                for t in rng.sample(own[-10:], min(2, len(own[-10:]))):
                    idx = f"{t}_v{v}_created_at_idx"
                    up.append(f"CREATE INDEX CONCURRENTLY {idx} ON {t} (created_at);")
                    down = [f"DROP INDEX CONCURRENTLY {idx};"] + down
            stats["tables"] += len(new_tables)
            stats["migrations"] += 1

            mdir = os.path.join(cdir, f"{v:04d}_{slug}")
            os.makedirs(mdir)
            if imported_from == "diesel":
                directives.insert(0, "-- schemagate:imported-from diesel "
                                  f"{20200101000000 + stats['migrations']}")
            header = directives + [f"-- {name}/{v:04d}_{slug}"]
            with open(os.path.join(mdir, "up.sql"), "w") as f:
                f.write("\n".join(header) + "\n\n" + "\n\n".join(up) + "\n")
            with open(os.path.join(mdir, "down.sql"), "w") as f:
                f.write(f"-- {name}/{v:04d}_{slug} (down)\n\n" + "\n\n".join(down) + "\n")
    return stats


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("migrations", type=int)
    p.add_argument("clusters", type=int)
    p.add_argument("out")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--imported-from", choices=["diesel"])
    a = p.parse_args()
    if a.clusters < 1 or a.migrations < a.clusters:
        p.error("need at least one migration per cluster")
    s = generate(a.migrations, a.clusters, a.out, a.seed, a.imported_from)
    print(f"{a.out}: {s['migrations']} migrations, {s['tables']} tables, "
          f"{a.clusters} clusters, {s['no_transaction']} no-transaction")


if __name__ == "__main__":
    main()
