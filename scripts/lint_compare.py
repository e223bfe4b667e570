#!/usr/bin/env python3
"""Compares Squawk's findings with schemagate's lock lint on one tree.

  lint_compare.py LABEL SCHEMAGATE_REPORT.json SQUAWK.json

SCHEMAGATE_REPORT.json is `schemagate-gen --lint-report` (every statement of
every up.sql with the tables it names and which of them existed before its
migration, plus schemagate's locks and findings); SQUAWK.json is `squawk
--reporter=json` over the same up.sql files. Prints one JSON object:
counts per tool, Squawk's findings on statements that touch only tables
created earlier in the same migration (or none that existed), and every
real risk — a blocking lock on a table that existed before the migration —
that one tool reports and the other misses.
"""
import json
import os
import sys

# Squawk rules about a lock, a rewrite or a scan that blocks the application,
# or a statement PostgreSQL refuses in a transaction: the risks both tools
# look for. The others are style (prefer-bigint-over-int, prefer-text-field,
# prefer-robust-stmts, ...) or settings schemagate applies itself to every
# migration (require-lock-timeout, require-statement-timeout: the engine
# sets lock_timeout and retries), or compatibility rules schemagate has too.
SQUAWK_BLOCKING = {
    "require-concurrent-index-creation", "require-concurrent-index-deletion",
    "constraint-missing-not-valid", "adding-foreign-key-constraint",
    "adding-field-with-default", "adding-not-nullable-field", "adding-required-field",
    "changing-column-type", "disallowed-unique-constraint",
    "adding-serial-primary-key-field", "ban-concurrent-index-creation-in-transaction",
}


def load_documents(path):
    """Squawk's JSON reports, one per xargs batch, concatenated."""
    text = open(path).read()
    decoder = json.JSONDecoder()
    findings, pos = [], 0
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos >= len(text):
            return findings
        document, pos = decoder.raw_decode(text, pos)
        findings.extend(document)


def main():
    label, ours_path, squawk_path = sys.argv[1:4]
    ours = json.load(open(ours_path))
    squawk = load_documents(squawk_path)
    # Statements by (real path, line range).
    statements = {}
    ours_findings = []
    ours_risks = set()
    for m in ours:
        path = os.path.realpath(m["path"])
        statements[path] = m["statements"]
        for lock in m["locks"]:
            if lock["rule"]:
                ours_findings.append((path, lock["line"], lock["rule"], lock["acknowledged"]))
                ours_risks.add((path, lock["line"]))

    def statement_at(path, line):
        for s in statements.get(path, []):
            if s["line"] <= line <= s["end_line"]:
                return s
        return None

    on_new = 0
    squawk_risks = set()
    missed_by_us = []
    judged = []
    for f in squawk:
        path = os.path.realpath(f["file"])
        line = f["line"] + 1  # Squawk's lines are 0-based
        s = statement_at(path, line)
        # The table the statement changes existed before the migration (a
        # foreign key from a new table only references an old one).
        target_existed = s is not None and s["target"] != "" and s["target"] in s["existing"]
        if s is not None and not target_existed:
            on_new += 1
        if target_existed and f["rule_name"] in SQUAWK_BLOCKING:
            key = (path, s["line"])
            if key in ours_risks:
                squawk_risks.add(key)
            elif s["judged_safe"]:
                judged.append(f"{os.path.relpath(path)}:{s['line']} [{f['rule_name']}]: "
                              + "; ".join(s["judged_safe"]))
            else:
                squawk_risks.add(key)
                missed_by_us.append(f"{os.path.relpath(path)}:{s['line']} [{f['rule_name']}]")
    missed_by_squawk = []
    for path, line, rule, ack in ours_findings:
        if (path, line) not in squawk_risks and rule not in (
                "drop-column", "rename-column", "drop-table", "rename-table", "narrow-type"):
            missed_by_squawk.append(f"{os.path.relpath(path)}:{line} [{rule}]")
    print(json.dumps({
        "tree": label,
        "statements": sum(len(v) for v in statements.values()),
        "squawk_findings": len(squawk),
        "squawk_on_new_tables": on_new,
        "squawk_real_risks": len(squawk_risks),
        "schemagate_findings": len(ours_findings),
        "schemagate_unacknowledged": sum(1 for f in ours_findings if not f[3]),
        "missed_by_schemagate": sorted(set(missed_by_us)),
        "squawk_judged_safe_by_schemagate": sorted(set(judged)),
        "missed_by_squawk": sorted(set(missed_by_squawk)),
    }))


if __name__ == "__main__":
    main()
