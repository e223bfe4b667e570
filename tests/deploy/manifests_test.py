#!/usr/bin/env python3
"""The deployment says only true things.

Renders every overlay of deploy/k8s with kubectl kustomize, then checks
against the real binaries that every command, flag and environment variable
in the rendered manifests is one they accept, that every gRPC probe names a
health service the server registers, that `schemactl wait --clusters` names
clusters of that image's build, and the security/availability settings the
operations guide promises. Also checks that the Dockerfile builds with the
same scripts as the README's commands.

    manifests_test.py SOURCE_DIR BIN_DIR
"""
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request

import yaml

SOURCE, BIN = sys.argv[1], sys.argv[2]
# overlay -> SCHEMAGATE_FEATURES
OVERLAYS = {"minimal": "core", "full": "all", "fleet": "all", "monitoring": "all"}
OURS = {"schemagate", "schemactl", "schemagate-server"}
failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL:", msg)


def run(args, **kw):
    return subprocess.run(args, capture_output=True, text=True, timeout=60, **kw)


def render(overlay):
    r = run(["kubectl", "kustomize", os.path.join(SOURCE, "deploy/k8s/overlays", overlay)])
    if r.returncode != 0:
        fail(f"{overlay}: kubectl kustomize failed: {r.stderr}")
        return []
    return [d for d in yaml.safe_load_all(r.stdout) if d]


_help = {}


def help_text(binary, sub):
    key = (binary, sub)
    if key not in _help:
        args = [os.path.join(BIN, binary)] + (sub.split() if sub else []) + ["--help"]
        r = run(args)
        if r.returncode != 0:
            fail(f"{' '.join(args)} exited {r.returncode}: {r.stderr}")
        _help[key] = r.stdout
    return _help[key]


def pod_specs(docs):
    for d in docs:
        spec = d.get("spec", {})
        if d["kind"] in ("Deployment", "Job"):
            yield d, spec["template"]["spec"]


def exit_code_table():
    """docs/EXIT_CODES.md: {code: (meaning, job action)}."""
    rows = {}
    for line in open(os.path.join(SOURCE, "docs/EXIT_CODES.md")):
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 5 and cells[0].isdigit():
            rows[int(cells[0])] = (cells[1], cells[4])
    if not rows:
        fail("docs/EXIT_CODES.md has no exit-code table")
    return rows


def help_codes(text):
    return {int(m.group(1)): m.group(2) for m in
            re.finditer(r"^\s+(\d+)\s+(.*)$", text.split("Exit codes:")[-1], re.M)}


def check_exit_code_table():
    """One table: both binaries print the codes of docs/EXIT_CODES.md."""
    table = exit_code_table()
    for binary, sub in (("schemagate", "migrate"), ("schemagate", "status"),
                        ("schemagate", "join"), ("schemactl", "status"),
                        ("schemactl", "wait")):
        codes = help_codes(help_text(binary, sub))
        if set(codes) != set(table):
            fail(f"{binary} {sub} --help lists exit codes {sorted(codes)}, "
                 f"docs/EXIT_CODES.md {sorted(table)}")


def check_failure_policy(where, job, container, help_text_):
    """FailJob exit codes (FailIndex in an Indexed Job: one shard fails, the
    others go on) are exactly the table's "fail" codes, each documented by
    the command, never a transient one."""
    codes = help_codes(help_text_)
    table = exit_code_table()
    rules = job["spec"].get("podFailurePolicy", {}).get("rules", [])
    action = "FailIndex" if job["spec"].get("completionMode") == "Indexed" else "FailJob"
    if action == "FailIndex" and not job["spec"].get("backoffLimitPerIndex"):
        fail(f"{where}: an Indexed Job with FailIndex needs backoffLimitPerIndex")
    fail_codes = set()
    for r in rules:
        on = r.get("onExitCodes", {})
        if r.get("action") == action and on.get("operator") == "In":
            if on.get("containerName") != container:
                fail(f"{where}: podFailurePolicy names container {on.get('containerName')!r}")
            fail_codes |= set(on.get("values", []))
    if not fail_codes:
        fail(f"{where}: no podFailurePolicy {action} rule")
    expected = {code for code, (_, job_action) in table.items() if job_action == "fail"}
    if fail_codes != expected:
        fail(f"{where}: podFailurePolicy fails the Job on {sorted(fail_codes)}; "
             f"docs/EXIT_CODES.md says {sorted(expected)}")
    for code in sorted(fail_codes):
        if code not in codes:
            fail(f"{where}: podFailurePolicy exit code {code} is not documented by the command")
        elif re.search(r"connect|lock wait", codes[code]):
            fail(f"{where}: podFailurePolicy fails the Job on transient exit {code} ({codes[code]})")


def pod_secrets(spec):
    """Secret names a pod spec mounts or reads into its environment."""
    out = set()
    for v in spec.get("volumes", []):
        if "secret" in v:
            out.add(v["secret"]["secretName"])
        for src in v.get("projected", {}).get("sources", []):
            if "secret" in src:
                out.add(src["secret"]["name"])
    for c in spec.get("initContainers", []) + spec.get("containers", []):
        for src in c.get("envFrom", []):
            if "secretRef" in src:
                out.add(src["secretRef"]["name"])
        for e in c.get("env", []):
            ref = e.get("valueFrom", {}).get("secretKeyRef")
            if ref:
                out.add(ref["name"])
    return out


def check_read_only_server(where, command):
    """The serving pods hold the reader role: nothing that needs the migrator."""
    for arg in command:
        flag = arg[2:].split("=", 1)[0] if arg.startswith("--") else ""
        if flag in ("migrate-on-start", "admin-token-file", "admin-listen", "insecure-admin"):
            fail(f"{where}: serve --{flag} needs the migrator role, but the serving "
                 f"Deployment must run as the reader (deploy/postgres/roles.sql)")


def url_user(url):
    m = re.match(r"postgres(?:ql)?://([^:@/]+)", url)
    return m.group(1) if m else None


def check_credentials(overlay, by_kind, secrets_of):
    """The serving Deployment and the migrate Job use separate Secrets: the
    reader role of deploy/postgres/roles.sql and the migrator role."""
    secrets = {d["metadata"]["name"]: d.get("stringData", {}) for d in by_kind.get("Secret", [])}
    server = secrets_of.get(("Deployment", "schemagate"), set())
    job = secrets_of.get(("Job", "schemagate-migrate"), set())
    if not server or not job:
        fail(f"{overlay}: the Deployment or the Job mounts no Secret")
        return
    shared = server & job
    if shared:
        fail(f"{overlay}: the serving Deployment and the migrate Job share Secret(s) "
             f"{sorted(shared)}: the server would run with the migrator's credentials")
    users = {}
    for who, names in (("Deployment", server), ("Job", job)):
        for n in names:
            if n not in secrets:
                fail(f"{overlay}: {who} mounts Secret {n!r}, which the manifests do not define")
            elif "database-url" in secrets[n]:
                users[who] = url_user(secrets[n]["database-url"])
    if users.get("Deployment") != "schemagate_reader":
        fail(f"{overlay}: the Deployment's database-url user is {users.get('Deployment')!r}, "
             f"not the reader role (schemagate_reader)")
    if users.get("Job") != "schemagate_migrator":
        fail(f"{overlay}: the Job's database-url user is {users.get('Job')!r}, "
             f"not the migrator role (schemagate_migrator)")
    roles = open(os.path.join(SOURCE, "deploy/postgres/roles.sql")).read()
    for role in ("schemagate_reader", "schemagate_migrator"):
        if role not in roles:
            fail(f"deploy/postgres/roles.sql does not mention the role {role}")


def check_indexed_job(where, job, command):
    """A fleet Job spread over pods: one shard per index, as many shards as
    completions, the index from Kubernetes (JOB_COMPLETION_INDEX)."""
    spec = job["spec"]
    if command[1:3] != ["fleet", "migrate"]:
        fail(f"{where}: an Indexed Job that does not run `schemagate fleet migrate`")
        return
    shards = [a.split("=", 1)[1] for a in command if a.startswith("--shard-count=")]
    if shards != [str(spec.get("completions"))]:
        fail(f"{where}: --shard-count {shards} is not the Job's completions "
             f"({spec.get('completions')}): some shards would never run")
    if any(a.startswith("--shard-index") for a in command):
        fail(f"{where}: --shard-index is set; each pod takes its index from JOB_COMPLETION_INDEX")
    if "[env JOB_COMPLETION_INDEX]" not in help_text("schemagate", "fleet migrate"):
        fail(f"{where}: fleet migrate does not read JOB_COMPLETION_INDEX")
    if spec.get("parallelism", 1) > spec.get("completions", 1):
        fail(f"{where}: parallelism above completions")


def check_fleet(overlay, by_kind, secrets_of):
    """Fleet Secrets: the serving pods get the reader's URLs, the fleet Job
    the migrator's; each target set parses (`schemagate fleet targets`, with
    the Secret's other keys as the URL files it names), one URL key per
    target id."""
    secrets = {d["metadata"]["name"]: d.get("stringData", {}) for d in by_kind.get("Secret", [])}
    roles = {("Deployment", "schemagate"): "schemagate_reader"}
    for job in by_kind.get("Job", []):
        if job["spec"].get("completionMode") == "Indexed":
            roles[("Job", job["metadata"]["name"])] = "schemagate_migrator"
    if len(roles) == 1:
        return  # not a fleet overlay
    for (kind, name), role in roles.items():
        for secret in secrets_of.get((kind, name), set()):
            data = secrets.get(secret, {})
            if "targets.textproto" not in data:
                continue
            for key, value in data.items():
                if key != "targets.textproto" and url_user(value) != role:
                    fail(f"{overlay}: Secret {secret} key {key} (mounted by {kind} {name}) "
                         f"holds a URL for {url_user(value)!r}, not {role}")
            with tempfile.TemporaryDirectory() as tmp:
                for key, value in data.items():
                    with open(os.path.join(tmp, key), "w") as f:
                        f.write(value.replace("/etc/schemagate/fleet/", tmp + "/"))
                r = run([os.path.join(BIN, "schemagate"), "fleet", "targets", "--json",
                         f"--targets={os.path.join(tmp, 'targets.textproto')}"])
                if r.returncode != 0:
                    fail(f"{overlay}: Secret {secret}'s target set: {r.stdout}{r.stderr}")
                    continue
                ids = {t["id"] for t in yaml.safe_load(r.stdout)["targets"]}
                keys = set(data) - {"targets.textproto"}
                if ids != keys:
                    fail(f"{overlay}: Secret {secret}: targets {sorted(ids)}, URL keys {sorted(keys)}")
    job_secrets = set().union(*(secrets_of.get(k, set()) for k in roles if k[0] == "Job"))
    shared = secrets_of.get(("Deployment", "schemagate"), set()) & job_secrets
    if shared:
        fail(f"{overlay}: the serving Deployment and the fleet Job share Secret(s) {sorted(shared)}")


def check_metrics(overlay, by_kind, doc, container, port):
    """--metrics-listen's port is declared, annotated for scraping, selected
    by every PodMonitor and open to some NetworkPolicy."""
    where = f"{overlay}/{doc['metadata']['name']}"
    ports = {p.get("name"): p["containerPort"] for p in container.get("ports", [])}
    if port not in ports.values():
        fail(f"{where}: --metrics-listen port {port} is not a containerPort")
    template = doc["spec"]["template"]["metadata"]
    annotations = template.get("annotations", {})
    want = {"prometheus.io/scrape": "true", "prometheus.io/port": str(port),
            "prometheus.io/path": "/metrics"}
    for k, v in want.items():
        if annotations.get(k) != v:
            fail(f"{where}: annotation {k} is {annotations.get(k)!r}, want {v!r}")
    labels = template.get("labels", {})
    for pm in by_kind.get("PodMonitor", []):
        selector = pm["spec"].get("selector", {}).get("matchLabels", {})
        if any(labels.get(k) != v for k, v in selector.items()):
            fail(f"{overlay}: PodMonitor {pm['metadata']['name']} does not select the server pods")
        for ep in pm["spec"].get("podMetricsEndpoints", []):
            if ports.get(ep.get("port")) != port or ep.get("path", "/metrics") != "/metrics":
                fail(f"{overlay}: PodMonitor endpoint {ep} is not the metrics port {port}")
    opened = False
    for np in by_kind.get("NetworkPolicy", []):
        selector = np["spec"].get("podSelector", {}).get("matchLabels", {})
        if any(labels.get(k) != v for k, v in selector.items()):
            continue
        for rule in np["spec"].get("ingress", []):
            if any(p.get("port") in (port, "metrics") for p in rule.get("ports", [])):
                opened = True
    if not opened:
        fail(f"{overlay}: no NetworkPolicy lets anything reach the metrics port {port}")


def check_overlay(overlay, features):
    docs = render(overlay)
    if not docs:
        return
    by_kind = {}
    for d in docs:
        by_kind.setdefault(d["kind"], []).append(d)
    for kind in ("Deployment", "Service", "ConfigMap", "Secret", "PodDisruptionBudget",
                 "NetworkPolicy", "Job"):
        if kind not in by_kind:
            fail(f"{overlay}: no {kind}")
    configmaps = {c["metadata"]["name"]: c.get("data", {}) for c in by_kind.get("ConfigMap", [])}
    server = next((d for d in by_kind.get("Deployment", [])
                   if d["metadata"]["name"] == "schemagate"), None)
    if server is None:
        fail(f"{overlay}: no schemagate Deployment")
        return
    if server["spec"].get("replicas", 1) < 2:
        fail(f"{overlay}: schemagate runs fewer than 2 replicas")

    probes = []  # (kind, service, port)
    listen_ports = set()
    metrics = None  # (doc, container, port) of a server with --metrics-listen
    wait_clusters = []
    secrets_of = {}  # (kind, name) -> Secret names its pods can read
    for doc, spec in pod_specs(docs):
        name = doc["metadata"]["name"]
        secrets_of[(doc["kind"], name)] = pod_secrets(spec)
        psc = spec.get("securityContext", {})
        if not psc.get("runAsNonRoot"):
            fail(f"{overlay}/{name}: pod does not set runAsNonRoot")
        for c in spec.get("initContainers", []) + spec.get("containers", []):
            where = f"{overlay}/{name}/{c['name']}"
            sc = c.get("securityContext", {})
            if sc.get("allowPrivilegeEscalation") is not False:
                fail(f"{where}: allowPrivilegeEscalation is not false")
            if sc.get("readOnlyRootFilesystem") is not True:
                fail(f"{where}: root filesystem is not read-only")
            res = c.get("resources", {})
            if not res.get("requests") or not res.get("limits"):
                fail(f"{where}: resource requests/limits missing")
            command = (c.get("command") or []) + (c.get("args") or [])
            if not command or os.path.basename(command[0]) not in OURS:
                continue
            binary = os.path.basename(command[0])
            sub = command[1] if len(command) > 1 and not command[1].startswith("-") else ""
            first_flag = 2 if sub else 1
            if sub == "fleet" and len(command) > 2:  # schemagate fleet migrate ...
                sub = "fleet " + command[2]
                first_flag = 3
            text = help_text(binary, sub)
            for arg in command[first_flag:]:
                if not arg.startswith("--"):
                    fail(f"{where}: unexpected argument {arg!r}")
                    continue
                flag = arg[2:].split("=", 1)[0]
                if not re.search(r"--" + re.escape(flag) + r"\b", text):
                    fail(f"{where}: {binary} {sub} has no flag --{flag}")
                if flag == "listen":
                    listen_ports.add(int(arg.rsplit(":", 1)[1]))
                if flag == "metrics-listen":
                    metrics = (doc, c, int(arg.rsplit(":", 1)[1]))
                if flag == "clusters" and binary == "schemactl":
                    wait_clusters += arg.split("=", 1)[1].split(",")
            envs = [e["name"] for e in c.get("env", [])]
            for src in c.get("envFrom", []):
                ref = src.get("configMapRef", {}).get("name")
                if ref not in configmaps:
                    fail(f"{where}: envFrom names missing ConfigMap {ref}")
                envs += list(configmaps.get(ref, {}))
            for env in envs:
                if f"[env {env}]" not in text:
                    fail(f"{where}: {binary} {sub} does not read environment variable {env}")
            for kind in ("readinessProbe", "livenessProbe", "startupProbe"):
                probe = c.get(kind)
                if probe is None:
                    continue
                if "grpc" not in probe:
                    fail(f"{where}: {kind} is not a native gRPC probe")
                    continue
                probes.append((kind, probe["grpc"].get("service", ""), probe["grpc"]["port"]))
            if doc["kind"] == "Job" and binary == "schemagate":
                check_failure_policy(where, doc, c["name"], text)
            if doc["kind"] == "Job" and doc["spec"].get("completionMode") == "Indexed":
                check_indexed_job(where, doc, command)
            if sub == "serve":
                for kind in ("readinessProbe", "livenessProbe"):
                    if kind not in c:
                        fail(f"{where}: no {kind}")
                check_read_only_server(where, command)

    check_credentials(overlay, by_kind, secrets_of)
    check_fleet(overlay, by_kind, secrets_of)
    if metrics:
        check_metrics(overlay, by_kind, *metrics)
    for kind, service, port in probes:
        if port not in listen_ports:
            fail(f"{overlay}: probe port {port} is not a --listen port {sorted(listen_ports)}")
        # Readiness means "this replica answers the API": never a name that
        # needs the database reachable and every cluster migrated (one
        # database blip would take every replica out of the Service).
        if kind == "readinessProbe" and (service in ("", "schemagate.v1.SchemaGate") or
                                         service.startswith("schemagate.cluster.")):
            fail(f"{overlay}: readinessProbe uses {service!r}, which depends on the "
                 f"database and the migrations; use schemagate.readiness")

    # The probe names against a real server of this feature set.
    with tempfile.TemporaryDirectory() as tmp:
        port_file = os.path.join(tmp, "port")
        srv = subprocess.Popen(
            [os.path.join(BIN, "schemagate-server"), "serve", "--listen=127.0.0.1:0",
             f"--port-file={port_file}", f"--features={features}"] +
            (["--metrics-listen=127.0.0.1:0"] if metrics else []),
            env=dict(os.environ, DATABASE_URL="postgresql://probe@127.0.0.1:1/none"),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for _ in range(200):
                if os.path.exists(port_file):
                    break
                time.sleep(0.05)
            ports = open(port_file).read().split()
            target = "127.0.0.1:" + ports[0]
            if metrics:
                path = metrics[0]["spec"]["template"]["metadata"].get("annotations", {}).get(
                    "prometheus.io/path", "/metrics")
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{ports[2]}{path}",
                                                timeout=10) as r:
                        if "schemagate_build_info" not in r.read().decode():
                            fail(f"{overlay}: {path} has no schemagate_build_info")
                except (OSError, IndexError) as e:
                    fail(f"{overlay}: the server serves no metrics at {path}: {e}")
            for kind, service, _ in sorted(set(probes)):
                # The server's database is unreachable: liveness and readiness
                # probes must still pass (within the first monitor attempt).
                for _ in range(100):
                    r = run([os.path.join(BIN, "schemactl"), "health", "--target", target,
                             "--service", service])
                    if r.returncode == 0:
                        break
                    time.sleep(0.1)
                if "NOT_FOUND" in r.stderr or r.returncode not in (0, 3):
                    fail(f"{overlay}: probe service {service!r} is not registered "
                         f"by the server: {r.stdout}{r.stderr}")
                elif r.returncode != 0:
                    fail(f"{overlay}: {kind} service {service!r} is NOT_SERVING while "
                         f"the database is unreachable: every replica would leave the "
                         f"Service (or restart) on a database blip")
        finally:
            srv.terminate()
            srv.wait(timeout=30)

    # `schemactl wait --clusters` names clusters this image enables.
    r = run([os.path.join(BIN, "schemagate"), "catalog", "--compact", f"--features={features}"])
    clusters = {c["name"] for c in yaml.safe_load(r.stdout)["clusters"]} if r.returncode == 0 else set()
    for c in wait_clusters:
        if c not in clusters:
            fail(f"{overlay}: schemactl wait --clusters {c}: not enabled in a {features} build")
    print(f"{overlay}: {len(docs)} objects, {len(probes)} probes, credentials separated, "
          f"{len(wait_clusters)} waited clusters checked")


def check_dockerfile():
    dockerfile = open(os.path.join(SOURCE, "deploy/Dockerfile")).read()
    runs = " ".join(re.findall(r"^RUN (.*(?:\\\n.*)*)", dockerfile, re.M))
    for script in ("scripts/install-deps.sh", "scripts/build.sh"):
        if f"bash {script}" not in runs:
            fail(f"Dockerfile does not build with {script}")
        for readme_script in ("scripts/main.sh", "scripts/test.sh"):
            if f"bash {script}" not in open(os.path.join(SOURCE, readme_script)).read():
                fail(f"{readme_script} does not use {script}")
    readme = open(os.path.join(SOURCE, "README.md")).read()
    for cmd in ("bash scripts/main.sh", "bash scripts/test.sh"):
        if cmd not in readme:
            fail(f"README does not give {cmd!r}")
    if "HEALTHCHECK" in re.sub(r"#.*", "", dockerfile):
        fail("the Dockerfile has a HEALTHCHECK")
    if not re.search(r"^USER (?!root|0)", dockerfile, re.M):
        fail("the image does not run as a non-root user")
    # The runtime stage is the last one: FROM scratch plus the root filesystem
    # scripts/image-rootfs.sh assembles (what scripts/image.sh --prebuilt and
    # the image test build too).
    joined = re.sub(r"\\\n\s*", " ", dockerfile)  # continuation lines joined
    if not re.search(r"^RUN .*&& bash scripts/image-rootfs\.sh /rootfs build/bin", joined, re.M):
        fail("the build stage does not assemble the runtime root with scripts/image-rootfs.sh")
    stages = re.findall(r"^FROM (\S+)", dockerfile, re.M)
    if not stages or stages[-1] != "scratch":
        fail(f"the final stage is FROM {stages[-1] if stages else '?'}, not scratch")
    if "COPY --from=build /rootfs/ /" not in dockerfile.split("FROM scratch")[-1]:
        fail("the final stage does not copy the assembled root filesystem")


for overlay, features in OVERLAYS.items():
    check_overlay(overlay, features)
check_exit_code_table()
check_dockerfile()
if failures:
    sys.exit(f"{len(failures)} problem(s)")
print("deployment manifests: ok")
