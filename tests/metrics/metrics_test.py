#!/usr/bin/env python3
"""Prometheus metrics end to end (docs/OPERATIONS.md, "Metrics").

    metrics_test.py SOURCE_DIR BIN_DIR

On a fresh database of the test PostgreSQL ($SCHEMAGATE_TEST_PG_URL_FILE):
  - `schemagate serve --metrics-listen=127.0.0.1:0` is scraped before,
    during and after an ApplyMigrations call that runs under RPC load
    (CheckTables from two threads); every scrape passes `promtool check
    metrics`; afterwards the counters equal what was done: one
    schemagate_rpc_requests_total per CheckTables call the client made, the
    malformed request as INVALID_ARGUMENT, a call to a method that does not
    exist counted nowhere, one migration duration per
    migration of the build, every cluster ready with nothing pending, an
    open WatchClusters stream counted; label values are bounded (clusters of
    the build, fixed names — never a table name);
  - a server whose database is unreachable reports schemagate_database_up 0;
  - a --metrics-listen port that is taken stops the start with exit 3, an
    address that is not HOST:PORT with exit 2;
  - `schemagate migrate --metrics-file` writes a file promtool accepts, for
    a run that applies nothing, one that gives up waiting for the lock
    (exit 4, result="timeout") and refuses an unwritable path (exit 2,
    nothing applied);
  - deploy/prometheus/alerts.yml passes `promtool check rules`, and so
    does the same set of rules shown in docs/OPERATIONS.md.
Child output goes to $SCHEMAGATE_TEST_LOG_DIR (scanned for secrets).
"""
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request

import grpc
import yaml

SOURCE, BIN = sys.argv[1], sys.argv[2]
PG_URL = open(os.environ["SCHEMAGATE_TEST_PG_URL_FILE"]).read().strip()
LOG_DIR = os.environ.get("SCHEMAGATE_TEST_LOG_DIR") or tempfile.mkdtemp()
os.makedirs(LOG_DIR, exist_ok=True)
PROMTOOL = "promtool"
failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL:", msg, flush=True)


def log_file(name):
    return open(os.path.join(LOG_DIR, f"metrics_test.{name}.log"), "ab")


def psql(url, sql):
    r = subprocess.run(["psql", url, "-v", "ON_ERROR_STOP=1", "-Atqc", sql],
                       capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        sys.exit(f"psql failed: {r.stderr}")
    return r.stdout.strip()


def database(name):
    psql(PG_URL, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    psql(PG_URL, f"CREATE DATABASE {name}")
    u = urllib.parse.urlsplit(PG_URL)
    return urllib.parse.urlunsplit(u._replace(path="/" + name))


# --- Prometheus text format -----------------------------------------------------
SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse(text):
    """[(name, {label: value}, float)] of the samples."""
    out = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        if not m:
            fail(f"not a sample line: {line!r}")
            continue
        out.append((m.group(1), dict(LABEL.findall(m.group(2) or "")), float(m.group(3))))
    return out


def value(samples, name, **labels):
    got = [v for n, l, v in samples if n == name and all(l.get(k) == w for k, w in labels.items())]
    return sum(got) if got else None


def promtool_check(text, where):
    r = subprocess.run([PROMTOOL, "check", "metrics"], input=text, capture_output=True,
                       text=True, timeout=60)
    if r.returncode != 0 or r.stdout.strip() or r.stderr.strip():
        fail(f"{where}: promtool check metrics: exit {r.returncode}: {r.stdout}{r.stderr}")


def scrape(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as r:
        if r.status != 200:
            fail(f"/metrics answered {r.status}")
        ctype = r.headers.get("Content-Type", "")
        if not ctype.startswith("text/plain"):
            fail(f"/metrics Content-Type {ctype!r}")
        return r.read().decode()


# --- A server -----------------------------------------------------------------------
class Server:
    def __init__(self, url, name, extra=()):
        self.dir = tempfile.TemporaryDirectory()
        port_file = os.path.join(self.dir.name, "port")
        env = dict(os.environ, DATABASE_URL=url)
        self.proc = subprocess.Popen(
            [os.path.join(BIN, "schemagate-server"), "serve", "--listen=127.0.0.1:0",
             "--metrics-listen=127.0.0.1:0", f"--port-file={port_file}",
             "--insecure-admin", "--poll-interval=200ms", *extra],
            env=env, stdout=log_file(name), stderr=subprocess.STDOUT)
        for _ in range(300):
            if os.path.exists(port_file):
                ports = open(port_file).read().split()
                if len(ports) == 3:
                    break
            if self.proc.poll() is not None:
                sys.exit(f"server {name} exited {self.proc.returncode}")
            time.sleep(0.05)
        else:
            sys.exit(f"server {name} wrote no port file with a metrics port")
        self.grpc_port, self.metrics_port = int(ports[0]), int(ports[2])
        self.target = f"127.0.0.1:{self.grpc_port}"
        self.channel = grpc.insecure_channel(self.target)

    def scrape(self):
        return scrape(self.metrics_port)

    def stop(self):
        self.channel.close()
        self.proc.send_signal(signal.SIGTERM)
        if self.proc.wait(timeout=60) != 0:
            fail(f"server exited {self.proc.returncode} on SIGTERM")
        self.dir.cleanup()


def encode_string_field(field, s):
    data = s.encode()
    return bytes([field << 3 | 2, len(data)]) + data


def catalog():
    r = subprocess.run([os.path.join(BIN, "schemagate"), "catalog", "--compact"],
                       capture_output=True, text=True, check=True)
    return json.loads(r.stdout)


CAT = catalog()
CLUSTERS = [c["name"] for c in CAT["clusters"]]
MIGRATIONS = len(CAT["apply_order"])
TABLES = {t["name"] for c in CAT["clusters"] for t in c["tables"]}
SCHEMAGATE = "schemagate.v1.SchemaGate"


def check_server():
    url = database("metrics_test_serve")
    srv = Server(url, "serve")
    try:
        # Before: nothing applied; the monitor's first read may take a moment.
        deadline = time.time() + 20
        while True:
            before = parse(srv.scrape())
            if value(before, "schemagate_database_up") == 1 and \
                    value(before, "schemagate_cluster_pending_migrations") is not None:
                break
            if time.time() > deadline:
                fail("database_up never became 1 before migrating")
                break
            time.sleep(0.1)
        if value(before, "schemagate_cluster_pending_migrations") != MIGRATIONS:
            fail(f"pending before: {value(before, 'schemagate_cluster_pending_migrations')} != {MIGRATIONS}")
        for c in CLUSTERS:
            if value(before, "schemagate_cluster_ready", cluster=c) != 0:
                fail(f"cluster {c} ready before migrating")
        features = ",".join(CAT["features"])
        if value(before, "schemagate_build_info", features=features) != 1:
            fail(f"no schemagate_build_info with features={features}")

        # RPC load (CheckTables from two threads) while ApplyMigrations runs.
        check_tables = srv.channel.unary_unary(f"/{SCHEMAGATE}/CheckTables")
        request = encode_string_field(1, "users")
        calls = [0, 0]
        stop = threading.Event()

        def load(i):
            while not stop.is_set():
                check_tables(request, timeout=10)
                calls[i] += 1
        threads = [threading.Thread(target=load, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        apply = subprocess.Popen([os.path.join(BIN, "schemactl"), "apply", "--target", srv.target],
                                 stdout=log_file("apply"), stderr=subprocess.STDOUT)
        scrapes = []
        while apply.poll() is None or len(scrapes) < 5:
            scrapes.append(srv.scrape())
            time.sleep(0.1)
        stop.set()
        for t in threads:
            t.join()
        if apply.returncode != 0:
            fail(f"schemactl apply exited {apply.returncode}")
        for i, text in enumerate(scrapes[:: max(1, len(scrapes) // 10)]):
            promtool_check(text, f"scrape {i} during migrations")

        # Errors, an unknown method, a watch stream.
        try:
            check_tables(b"\xff\xff\xff", timeout=10)
            fail("a malformed CheckTables request succeeded")
        except grpc.RpcError as e:
            if e.code() != grpc.StatusCode.INVALID_ARGUMENT:
                fail(f"malformed CheckTables: {e.code()}")
        try:
            srv.channel.unary_unary("/no.such.Service/users")(b"", timeout=10)
            fail("an unknown method succeeded")
        except grpc.RpcError as e:
            if e.code() != grpc.StatusCode.UNIMPLEMENTED:
                fail(f"unknown method: {e.code()}")
        watch = srv.channel.unary_stream(f"/{SCHEMAGATE}/WatchClusters")(b"", timeout=60)
        next(watch)  # the initial state
        time.sleep(0.5)  # the history re-read after the apply (poll 200 ms)
        text = srv.scrape()
        promtool_check(text, "scrape after migrations")
        after = parse(text)
        if value(after, "schemagate_watch_streams") != 1:
            fail(f"watch streams with one open: {value(after, 'schemagate_watch_streams')}")
        watch.cancel()

        want = {
            ("schemagate_rpc_requests_total", (SCHEMAGATE, "CheckTables", "OK")): sum(calls),
            ("schemagate_rpc_duration_seconds_count", (SCHEMAGATE, "CheckTables", "OK")): sum(calls),
            ("schemagate_rpc_requests_total", (SCHEMAGATE, "CheckTables", "INVALID_ARGUMENT")): 1,
            ("schemagate_rpc_requests_total", (SCHEMAGATE, "ApplyMigrations", "OK")): 1,
        }
        for (name, (service, method, code)), n in want.items():
            got = value(after, name, service=service, method=method, code=code)
            if got != n:
                fail(f"{name}{{service={service},method={method},code={code}}} = {got}, want {n}")
        # Only schemagate.v1.SchemaGate's handlers record calls: gRPC
        # answers a method that does not exist itself, and it is counted
        # nowhere (no label a client could invent).
        if any(l.get("code") == "UNIMPLEMENTED" or l.get("method") == "users"
               for n, l, _ in after if n.startswith("schemagate_rpc_")):
            fail("the call to a method that does not exist was counted")
        if sum(calls) < 20:
            fail(f"only {sum(calls)} CheckTables calls under load")
        applied = value(after, "schemagate_migration_duration_seconds_count", result="applied")
        if applied != MIGRATIONS:
            fail(f"migration durations recorded: {applied}, the build has {MIGRATIONS}")
        if value(after, "schemagate_migration_lock_wait_seconds_count", result="acquired") != 1:
            fail("no lock wait recorded for the apply")
        if value(after, "schemagate_migration_lock_waiting") != 0:
            fail("a lock wait is still counted after the apply")
        if value(after, "schemagate_cluster_pending_migrations") != 0:
            fail("migrations still pending after the apply")
        for c in CLUSTERS:
            ready = value(after, "schemagate_cluster_ready", cluster=c)
            applied_v = value(after, "schemagate_cluster_applied_version", cluster=c)
            latest = value(after, "schemagate_cluster_latest_version", cluster=c)
            if ready != 1 or applied_v != latest or not latest:
                fail(f"cluster {c}: ready {ready}, applied {applied_v}, latest {latest}")
        if value(after, "schemagate_database_up") != 1:
            fail("database_up is not 1 after the apply")
        if not value(after, "schemagate_history_read_timestamp_seconds") > time.time() - 60:
            fail("the history read timestamp is not recent")

        # Bounded labels: only these names, clusters of the build, no table names.
        allowed = {"service", "method", "code", "cluster", "result", "le", "version", "features"}
        for name, labels, _ in after:
            # prometheus-cpp's exposer adds its own exposer_* metrics.
            if name.startswith("exposer_"):
                continue
            if not name.startswith("schemagate_"):
                fail(f"metric {name} is not in the schemagate_ namespace")
            for k, v in labels.items():
                if k not in allowed:
                    fail(f"{name} has label {k}")
                if k == "cluster" and v not in CLUSTERS:
                    fail(f"{name} has cluster label {v!r} outside the build")
                if v in TABLES and v not in CLUSTERS:
                    fail(f"{name} has a table name as a label value: {k}={v}")
        print(f"serve: {len(scrapes)} scrapes during {MIGRATIONS} migrations and "
              f"{sum(calls)} CheckTables calls; counters match", flush=True)
    finally:
        srv.stop()


def check_unreachable():
    srv = Server("postgresql://metrics@127.0.0.1:1/none", "unreachable")
    try:
        time.sleep(1)
        text = srv.scrape()
        promtool_check(text, "scrape with the database unreachable")
        samples = parse(text)
        if value(samples, "schemagate_database_up") != 0:
            fail(f"database_up with no database: {value(samples, 'schemagate_database_up')}")
        if value(samples, "schemagate_cluster_ready") is not None:
            fail("cluster gauges without ever reading the history")
    finally:
        srv.stop()


def check_refused_listen():
    """A --metrics-listen that is taken is exit 3, one that is not HOST:PORT
    exit 2, each naming the flag; the server does not start."""
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = taken.getsockname()[1]
    try:
        for listen, want in ((f"127.0.0.1:{port}", 3), ("nonsense", 2), ("127.0.0.1:99999", 2)):
            r = subprocess.run(
                [os.path.join(BIN, "schemagate-server"), "serve", "--listen=127.0.0.1:0",
                 f"--metrics-listen={listen}"],
                env=dict(os.environ, DATABASE_URL="postgresql://metrics@127.0.0.1:1/none"),
                capture_output=True, text=True, timeout=60)
            if r.returncode != want or f"--metrics-listen {listen}" not in r.stderr:
                fail(f"--metrics-listen={listen}: exit {r.returncode} (want {want}): {r.stderr}")
    finally:
        taken.close()


def migrate(url, metrics_file, *extra, env=None):
    r = subprocess.run([os.path.join(BIN, "schemagate"), "migrate", f"--metrics-file={metrics_file}",
                        *extra], env=dict(os.environ, DATABASE_URL=url, **(env or {})),
                       stdout=log_file("migrate"), stderr=subprocess.STDOUT, timeout=300)
    return r.returncode


def check_textfile():
    with tempfile.TemporaryDirectory() as tmp:
        check_textfile_in(tmp)


def check_textfile_in(tmp):
    url = database("metrics_test_migrate")
    first = os.path.join(tmp, "first.prom")
    if migrate(url, first) != 0:
        fail("migrate --metrics-file exited non-zero")
    text = open(first).read()
    promtool_check(text, "textfile of a migrate run")
    s = parse(text)
    if value(s, "schemagate_migration_duration_seconds_count", result="applied") != MIGRATIONS:
        fail("textfile: not one duration per migration")
    if value(s, "schemagate_migrate_last_run_success") != 1 or \
            value(s, "schemagate_migrate_last_run_exit_code") != 0 or \
            value(s, "schemagate_migrate_last_run_applied_migrations") != MIGRATIONS:
        fail("textfile: the run's outcome is wrong")
    # Another migrator holds the lock (its locking statement sleeps 4 s):
    # this one gives up after 1 s, exit 4, result="timeout".
    holder_url = database("metrics_test_lock")
    holder = subprocess.Popen([os.path.join(BIN, "schemagate"), "migrate"],
                              env=dict(os.environ, DATABASE_URL=holder_url,
                                       SCHEMAGATE_FAILPOINTS="lock-sleep=4"),
                              stdout=log_file("holder"), stderr=subprocess.STDOUT)
    time.sleep(1)
    timed_out = os.path.join(tmp, "timeout.prom")
    code = migrate(holder_url, timed_out, "--lock-wait-timeout=1s")
    holder.wait(timeout=120)
    if code != 4:
        fail(f"migrate waiting for a held lock exited {code}, want 4")
    text = open(timed_out).read() if os.path.exists(timed_out) else ""
    promtool_check(text, "textfile of a timed-out run")
    s = parse(text)
    if value(s, "schemagate_migration_lock_wait_seconds_count", result="timeout") != 1 or \
            value(s, "schemagate_migration_lock_waiting") != 0 or \
            value(s, "schemagate_migrate_last_run_success") != 0 or \
            value(s, "schemagate_migrate_last_run_exit_code") != 4:
        fail(f"textfile of the timed-out run: {text}")
    # An unwritable path is refused before anything is applied.
    fresh = database("metrics_test_unwritable")
    if migrate(fresh, "/nonexistent-dir/schemagate.prom") != 2:
        fail("migrate with an unwritable --metrics-file did not exit 2")
    if psql(fresh, "SELECT count(*) FROM pg_tables WHERE schemaname = 'schemagate'") != "0":
        fail("migrate with an unwritable --metrics-file changed the database")
    print("migrate --metrics-file: applied, timed-out and refused runs ok", flush=True)


def check_rules():
    """deploy/prometheus/alerts.yml and the rules docs/OPERATIONS.md shows
    are the same, and promtool accepts both."""
    rules = os.path.join(SOURCE, "deploy/prometheus/alerts.yml")
    doc = open(os.path.join(SOURCE, "docs/OPERATIONS.md")).read()
    m = re.search(r"^### Alert rules\n.*?^```yaml\n(.*?)^```", doc, re.S | re.M)
    if not m:
        fail("docs/OPERATIONS.md has no yaml block under '### Alert rules'")
        return
    with tempfile.NamedTemporaryFile("w", suffix=".yml") as shown:
        shown.write(m.group(1))
        shown.flush()
        for path, where in ((rules, "deploy/prometheus/alerts.yml"),
                            (shown.name, "docs/OPERATIONS.md's rules")):
            r = subprocess.run([PROMTOOL, "check", "rules", path], capture_output=True,
                               text=True)
            if r.returncode != 0 or "SUCCESS: 4 rules found" not in r.stdout:
                fail(f"promtool check rules {where}: {r.stdout}{r.stderr}")
    if yaml.safe_load(m.group(1)) != yaml.safe_load(open(rules)):
        fail("docs/OPERATIONS.md's alert rules differ from deploy/prometheus/alerts.yml")


check_server()
check_unreachable()
check_refused_listen()
check_textfile()
check_rules()
for db in ("serve", "migrate", "lock", "unwritable"):
    psql(PG_URL, f"DROP DATABASE IF EXISTS metrics_test_{db} WITH (FORCE)")
if failures:
    sys.exit(f"{len(failures)} problem(s)")
print("metrics: ok")
