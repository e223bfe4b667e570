#!/usr/bin/env python3
"""No secret appears in anything the test suite logged.

    scan_secrets.py LOG_DIR PG_PASSWORD_FILE [EXTRA_LOG_DIR ...]

LOG_DIR holds every child process's stdout and stderr of the suite
(tests/support/subprocess.cc writes output-<pid>.log there) and secrets.txt,
the passwords and tokens tests registered. The fixture PostgreSQL's password
is read from PG_PASSWORD_FILE. EXTRA_LOG_DIRs (other logs to check)
are scanned too. Also looks for the URL-encoded form of each secret.

Before scanning, checks itself on a planted secret, so it cannot pass by
scanning nothing.
"""
import os
import sys
import tempfile
import urllib.parse


def load_secrets(log_dir, password_file):
    secrets = set()
    path = os.path.join(log_dir, "secrets.txt")
    if os.path.exists(path):
        secrets |= {s.strip() for s in open(path, encoding="utf-8", errors="replace")}
    if os.path.exists(password_file):
        secrets.add(open(password_file).read().strip())
    return {s for s in secrets if len(s) >= 6}


def scan(paths, secrets):
    """Returns (files, lines, bytes, hits) where hits are (path, line, secret)."""
    needles = {}
    for s in secrets:
        needles[s.encode()] = s
        needles[urllib.parse.quote(s, safe="").encode()] = s
        needles[urllib.parse.quote(s).encode()] = s
    files = lines = size = 0
    hits = []
    for path in paths:
        try:
            data = open(path, "rb").read()
        except OSError:
            continue
        files += 1
        size += len(data)
        for number, line in enumerate(data.split(b"\n"), 1):
            lines += 1
            for needle, secret in needles.items():
                if needle in line:
                    hits.append((path, number, secret))
    return files, lines, size, hits


def log_files(log_dir, extra_dirs):
    out = []
    for d in [log_dir] + extra_dirs:
        if not os.path.isdir(d):
            continue
        for root, _, names in os.walk(d):
            for n in names:
                if n == "secrets.txt":
                    continue
                out.append(os.path.join(root, n))
    return sorted(out)


def self_test():
    with tempfile.TemporaryDirectory() as d:
        planted = "planted-Secret-9f8e7d"
        with open(os.path.join(d, "output-1.log"), "w") as f:
            f.write("schemagate: connecting\nerror: password=" +
                    urllib.parse.quote(planted + "/+") + " rejected\n" +
                    "clean line\n" + "url=postgresql://u:" + planted + "/+@h/db\n")
        with open(os.path.join(d, "secrets.txt"), "w") as f:
            f.write(planted + "/+\n")
        _, _, _, hits = scan(log_files(d, []), load_secrets(d, "/nonexistent"))
        if [h[1] for h in hits] != [2, 4]:
            sys.exit(f"self-test: expected the planted secret on lines 2 and 4, found {hits}")


def main():
    log_dir, password_file = sys.argv[1], sys.argv[2]
    extra = sys.argv[3:]
    self_test()
    if not os.path.isdir(log_dir):
        sys.exit(f"{log_dir}: no suite log (SCHEMAGATE_TEST_LOG_DIR was not written)")
    secrets = load_secrets(log_dir, password_file)
    if not secrets:
        sys.exit("no secrets registered: nothing to look for")
    paths = log_files(log_dir, extra)
    files, lines, size, hits = scan(paths, secrets)
    if lines == 0:
        sys.exit(f"{log_dir}: the suite logged nothing")
    for path, number, secret in hits[:50]:
        masked = secret[:2] + "*" * (len(secret) - 2)
        print(f"FAIL: {path}:{number}: contains secret {masked}")
    print(f"scanned {files} files, {lines} lines, {size} bytes for "
          f"{len(secrets)} secrets: {len(hits)} hit(s)")
    sys.exit(1 if hits else 0)


if __name__ == "__main__":
    main()
