#!/usr/bin/env python3
"""Fails when any process of the suite reported a sanitizer error.

The test binaries fail on their own errors; the servers and command-line
processes they start write theirs to stderr, which the test support copies
into the suite log (SCHEMAGATE_TEST_LOG_DIR). A server that a test stopped
with SIGTERM may have reported an error nobody read: this scan finds it.

usage: scan_reports.py LOG_DIR
"""
import pathlib
import re
import sys

PATTERNS = re.compile(
    rb"ERROR: (AddressSanitizer|LeakSanitizer)|WARNING: ThreadSanitizer|"
    rb"runtime error: |SUMMARY: (Address|Undefined|Thread|Leak)Sanitizer")


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    log_dir = pathlib.Path(sys.argv[1])
    if not log_dir.is_dir():
        print(f"{log_dir}: no suite log (did the suite run?)", file=sys.stderr)
        return 1
    found = 0
    files = sorted(p for p in log_dir.rglob("*") if p.is_file())
    for path in files:
        data = path.read_bytes()
        for m in PATTERNS.finditer(data):
            start = data.rfind(b"\n", 0, max(0, m.start() - 2000)) + 1
            end = data.find(b"\n\n", m.end())
            print(f"--- {path} ---")
            print(data[start:end if end != -1 else None].decode("utf-8", "replace"))
            found += 1
            break
    print(f"scanned {len(files)} log files: {found} with sanitizer reports")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
