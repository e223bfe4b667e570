#!/usr/bin/env python3
"""Shared statistics for the benchmark scripts (scripts/bench/*.sh).

Samples are lines of a TSV file, appended by the scripts as they measure
(see `sample` in scripts/bench/common.sh):

    section <TAB> group <TAB> name <TAB> value [<TAB> reference name]

A row's reference is another name in the same section and group, measured
in the same run (or several, separated by "|": a ratio to each); the table shows min / median / max of each name's samples
and the ratio of its median to the reference's median. Lines

    section <TAB> #note <TAB> text
    section <TAB> #order <TAB> group <TAB> name   (row order, before samples)

are printed under the section's table, in order; `#unit` sets the unit
shown in the header.

  stats.py table SAMPLES SECTION [--title T]   markdown table of a section
  stats.py rpc SAMPLES SECTION                 the RPC table (req/s, p50, p99)
  stats.py gbench JSON SECTION GROUP_RE ...    Google Benchmark JSON -> samples
                                               (stdout; one per repetition, us)
  stats.py median SAMPLES SECTION GROUP NAME   one median (for scripts)
"""
import collections
import json
import re
import statistics
import sys


def load(path, section):
    rows = collections.OrderedDict()  # (group, name) -> [values]
    refs, notes, unit = {}, [], ""
    with open(path, encoding="utf-8") as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) < 3 or parts[0] != section:
                continue
            if parts[1] == "#note":
                notes.append(parts[2])
                continue
            if parts[1] == "#order":  # fixes the row order before any sample
                rows.setdefault((parts[2], parts[3]), [])
                continue
            if parts[1] == "#unit":
                unit = parts[2]
                continue
            group, name, value = parts[1], parts[2], float(parts[3])
            rows.setdefault((group, name), []).append(value)
            if len(parts) > 4 and parts[4]:
                refs[(group, name)] = parts[4]
    return rows, refs, notes, unit


def fmt(x):
    if x == 0:
        return "0"
    a = abs(x)
    if a >= 1000:
        return f"{x:,.0f}"
    if a >= 100:
        return f"{x:.0f}"
    if a >= 10:
        return f"{x:.1f}"
    if a >= 1:
        return f"{x:.2f}"
    return f"{x:.3f}"


def table(path, section, title=None):
    rows, refs, notes, unit = load(path, section)
    groups = any(g for g, _ in rows)
    out = []
    if title:
        out.append(f"### {title}\n")
    head = (["group"] if groups else []) + ["what", "runs", f"min{' (' + unit + ')' if unit else ''}",
                                            "median", "max", "median vs reference"]
    out.append("| " + " | ".join(head) + " |")
    out.append("|" + "---|" * len(head))
    for (group, name), xs in rows.items():
        if not xs:
            continue
        ratios = []
        # Several references: "A|B" gives one ratio to each.
        for ref in (refs.get((group, name)) or "").split("|"):
            if ref and (group, ref) in rows and rows[(group, ref)]:
                r = statistics.median(rows[(group, ref)])
                if r:
                    ratios.append(f"{statistics.median(xs) / r:.2f}x {ref}")
        ratio = "; ".join(ratios)
        cells = ([group] if groups else []) + [name, str(len(xs)), fmt(min(xs)),
                                               fmt(statistics.median(xs)), fmt(max(xs)), ratio]
        out.append("| " + " | ".join(cells) + " |")
    if notes:
        out.append("")
        out += notes
    return "\n".join(out)


def rpc_table(path, section):
    """Samples named '<rpc>|<callers>|rps|p50|p99'; the reference RPC is the
    one whose name contains 'limit'."""
    rows, _, notes, _ = load(path, section)
    by = collections.OrderedDict()
    for (group, name), xs in rows.items():
        rpc, callers, metric = name.split("|")
        by.setdefault((int(callers), rpc), {})[metric] = xs
    out = ["| RPC | callers | runs | req/s min | req/s median | req/s max | p50 (us) median | "
           "p99 (us) median | req/s vs health Check |", "|" + "---|" * 9]
    limit = {c: statistics.median(m["rps"]) for (c, rpc), m in by.items() if "limit" in rpc}
    for (callers, rpc), m in sorted(by.items(), key=lambda kv: kv[0][0]):
        rps = m["rps"]
        ratio = statistics.median(rps) / limit[callers] if limit.get(callers) else 0
        out.append(f"| {rpc} | {callers} | {len(rps)} | {fmt(min(rps))} | {fmt(statistics.median(rps))} | "
                   f"{fmt(max(rps))} | {fmt(statistics.median(m['p50']))} | "
                   f"{fmt(statistics.median(m['p99']))} | {ratio:.2f}x |")
    if notes:
        out.append("")
        out += notes
    return "\n".join(out)


def gbench(path, section, specs):
    """specs: 'REGEX=REFERENCE_NAME' or 'REGEX'; the group is the part after
    the last '/' of the benchmark name (its catalog), the name the rest."""
    data = json.load(open(path))
    labels = {}
    for b in data["benchmarks"]:
        if b.get("run_type") != "iteration":
            continue
        full = b["run_name"]
        for spec in specs:
            pat, _, ref = spec.partition("=")
            if re.fullmatch(pat, full):
                name, _, group = full.rpartition("/")
                if re.fullmatch(r"\d+", group):  # BM_Tree/<catalog>/<k>
                    name2, _, group2 = name.rpartition("/")
                    name, group = f"{name2}/{group}", group2
                label = b.get("label", "")
                if label and (group, name) not in labels:
                    labels[(group, name)] = label
                    print(f"{section}\t#note\t- {name}, {group}: {label}")
                mult = {"ns": 1e-3, "us": 1, "ms": 1e3}[b.get("time_unit", "ns")]
                print(f"{section}\t{group}\t{name}\t{b['real_time'] * mult:.4f}\t{ref}")
                break


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "table":
        title = None
        if "--title" in args:
            i = args.index("--title")
            title = args[i + 1]
            args = args[:i] + args[i + 2:]
        print(table(args[0], args[1], title))
    elif cmd == "rpc":
        print(rpc_table(args[0], args[1]))
    elif cmd == "gbench":
        gbench(args[0], args[1], args[2:])
    elif cmd == "median":
        rows, _, _, _ = load(args[0], args[1])
        print(statistics.median(rows[(args[2], args[3])]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
