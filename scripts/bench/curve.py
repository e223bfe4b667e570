#!/usr/bin/env python3
"""Notes on how plan time and catalog load grow with the tree (for
scripts/bench/plan.sh), over the generated trees (tree-N): between consecutive sizes, the marginal cost per
migration (difference of medians / difference of migration counts), and
time per migration at each size. Prints sample-file note lines.

  curve.py SAMPLES          plan and catalog notes
  curve.py SAMPLES apply    apply notes: per migration and marginal, per tool
"""
import re
import statistics
import sys

sys.path.insert(0, __file__.rsplit("/", 1)[0])
import stats  # noqa: E402


def curve(points, unit, scale):
    """points: [(migrations, median)] sorted; returns a text."""
    parts = []
    for (m0, t0), (m1, t1) in zip(points, points[1:]):
        parts.append(f"{m0:,}→{m1:,}: {(t1 - t0) * scale / (m1 - m0):.1f} {unit}")
    return "; ".join(parts)


def apply_curve(path):
    """The apply section: per tool, ms per migration at each tree size and
    the marginal cost between sizes; and schemagate's cost over psql with a
    transaction per migration, per migration."""
    rows, _, notes, _ = stats.load(path, "apply")
    sizes = {}
    for n in notes:
        m = re.match(r"- (tree-\d+): (\d+) migrations", n)
        if m:
            sizes[m.group(1)] = int(m.group(2))
    tools = []
    for (_, name) in rows:
        if name not in tools:
            tools.append(name)
    out = []
    for tool in tools:
        pts = sorted((sizes[g], statistics.median(xs)) for (g, n), xs in rows.items()
                     if n == tool and xs and g in sizes)
        if len(pts) > 1:
            per = ", ".join(f"{m:,}: {t / m:.2f} ms" for m, t in pts)
            out.append(f"apply\t#note\t- {tool}, per migration at each size: {per}; "
                       f"marginal: {curve(pts, 'ms', 1)}")
    pertx = "psql -f, a transaction per migration"
    over = []
    for g, m in sorted(sizes.items(), key=lambda kv: kv[1]):
        sg, px = rows.get((g, "schemagate migrate")), rows.get((g, pertx))
        if sg and px:
            over.append(f"{m:,}: {(statistics.median(sg) - statistics.median(px)) * 1000 / m:+.0f} us")
    if over:
        out.append("apply\t#note\t- schemagate migrate minus psql with a transaction per "
                   f"migration, per migration: {'; '.join(over)}")
    return out


def main():
    path = sys.argv[1]
    if len(sys.argv) > 2 and sys.argv[2] == "apply":
        print("\n".join(apply_curve(path)))
        return
    rows, _, _, _ = stats.load(path, "plan")
    for what in ("plan, empty database (all pending)", "plan, up to date"):
        pts = []
        for (group, name), xs in rows.items():
            m = re.search(r"\((\d+) migrations\)", group)
            if name == what and xs and m and group.startswith("tree-"):
                pts.append((int(m.group(1)), statistics.median(xs)))
        pts.sort()
        if len(pts) > 1:
            print(f"plan\t#note\t- {what}, marginal cost per migration: {curve(pts, 'us', 1000)}")
    crow, _, notes, _ = stats.load(path, "catalog")
    for bench in ("BM_LoadCatalog", "BM_Limit_ParseProto", "BM_BuildGraphOf"):
        pts = []
        for (group, name), xs in crow.items():
            size = [re.search(r"(\d+) migrations, (\d+) tables", n) for n in notes
                    if n.startswith(f"- BM_LoadCatalog, {group}:")]
            if name == bench and xs and size and size[0] and group.startswith("tree-"):
                pts.append((int(size[0].group(1)), statistics.median(xs)))
        pts.sort()
        if len(pts) > 1:
            per = ", ".join(f"{m:,}: {t / m:.1f} us" for m, t in pts)
            print(f"catalog\t#note\t- {bench} per migration at each size: {per}; "
                  f"marginal: {curve(pts, 'us', 1)}")


if __name__ == "__main__":
    main()
