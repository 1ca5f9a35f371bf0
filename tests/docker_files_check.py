#!/usr/bin/env python3
"""Checks what docker/ promises an operator, without a Docker engine: the compose files'
structure (restart policies, persistence, the token as a secret, the notification port on the
host's loopback only, three daemons in cluster mode behind nginx, each scraped by Prometheus
on a metrics port of its own) and, with nginx and promtool installed, that docker/nginx.conf
passes `nginx -t` and docker/prometheus.yml `promtool check config`. Exit 77 (skipped)
without python3-yaml."""
import os
import re
import shutil
import subprocess
import sys
import tempfile

from check_support import check, finish, yaml

docker = sys.argv[1]


def load(name):
    with open(os.path.join(docker, name)) as f:
        return yaml.safe_load(f)


def check_redis(compose, name):
    redis = compose["services"]["redis"]
    check(redis.get("restart") == "unless-stopped", f"{name}: redis restarts")
    check("--appendonly" in redis["command"] and
          redis["command"][redis["command"].index("--appendonly") + 1] == "yes",
          f"{name}: redis persists (appendonly yes)")
    check(any(str(v).endswith(":/data") for v in redis.get("volumes", [])),
          f"{name}: redis data on a volume")


def check_daemon(service, name):
    env = service.get("environment", {})
    check(service.get("restart") == "unless-stopped", f"{name}: restart unless-stopped")
    check("SSE_SERVER_NOTIFY_TOKEN" not in env, f"{name}: no token in a plain variable")
    check(env.get("SSE_SERVER_NOTIFY_TOKEN_FILE") == "/run/secrets/notify_token",
          f"{name}: token read from the secret file")
    check("notify_token" in service.get("secrets", []), f"{name}: token mounted as a secret")
    check(service.get("read_only") is True, f"{name}: read-only root")
    check(service.get("cap_drop") == ["ALL"], f"{name}: capabilities dropped")


def check_ports(service, name):
    for port in service.get("ports", []):
        if str(port).endswith(":8081"):
            check(str(port).startswith("127.0.0.1:"),
                  f"{name}: notification port published on the host's loopback only")


single = load("compose.yml")
check_redis(single, "compose.yml")
check_daemon(single["services"]["sse-server"], "compose.yml sse-server")
check_ports(single["services"]["sse-server"], "compose.yml sse-server")
check("notify_token" in single.get("secrets", {}), "compose.yml: the secret is declared")

cluster = load("compose.cluster.yml")
check_redis(cluster, "compose.cluster.yml")
daemons = [n for n in cluster["services"] if n.startswith("sse-")]
check(len(daemons) == 3, "compose.cluster.yml: three daemons")
for name in daemons:
    service = cluster["services"][name]
    check_daemon(service, f"compose.cluster.yml {name}")
    check(service["environment"].get("SSE_SERVER_CLUSTER_MODE") == "redis",
          f"compose.cluster.yml {name}: cluster mode")
    check("ports" not in service, f"compose.cluster.yml {name}: reached through nginx only")

# Behind nginx, a scrape of the notification port reaches whichever daemon nginx picks: each
# daemon answers /metrics alone on its listen.metrics port, and Prometheus lists every one.
metrics_targets = []
for name in daemons:
    address = cluster["services"][name]["environment"].get("SSE_SERVER_LISTEN_METRICS", "")
    check(re.fullmatch(r"0\.0\.0\.0:\d+", address),
          f"compose.cluster.yml {name}: listen.metrics on the container network ({address!r})")
    metrics_targets.append(f"{name}:{address.rpartition(':')[2]}")
prometheus = cluster["services"].get("prometheus", {})
check(prometheus.get("restart") == "unless-stopped", "compose.cluster.yml prometheus: restarts")
check(all(str(p).startswith("127.0.0.1:") for p in prometheus.get("ports", [])),
      "compose.cluster.yml prometheus: published on the host's loopback only")
mounts = [str(v).split(":")[:2] for v in prometheus.get("volumes", [])]
check(["./prometheus.yml", "/etc/prometheus/prometheus.yml"] in mounts,
      "compose.cluster.yml prometheus: docker/prometheus.yml is its configuration")
check(["../docs/prometheus/sse-server.rules.yml", "/etc/prometheus/sse-server.rules.yml"] in mounts,
      "compose.cluster.yml prometheus: the alert rules beside its configuration")
scrape = load("prometheus.yml")
jobs = {job["job_name"]: job for job in scrape.get("scrape_configs", [])}
listed = sorted(t for c in jobs.get("sse-server", {}).get("static_configs", [])
                for t in c.get("targets", []))
check(listed == sorted(metrics_targets),
      f"prometheus.yml: job sse-server scrapes each daemon's metrics port "
      f"(lists {listed}, daemons have {sorted(metrics_targets)})")
check(scrape.get("rule_files") == ["sse-server.rules.yml"], "prometheus.yml: loads the alert rules")

nginx = cluster["services"]["nginx"]
check(nginx.get("restart") == "unless-stopped", "compose.cluster.yml nginx: restarts")
check_ports(nginx, "compose.cluster.yml nginx")

with open(os.path.join(docker, "nginx.conf")) as f:
    conf = f.read()
for name in daemons:
    check(f"server {name}:8080;" in conf, f"nginx.conf: streams upstream has {name}")
check("proxy_buffering off;" in conf, "nginx.conf: proxy_buffering off")
timeout = re.search(r"proxy_read_timeout\s+(\d+)([smh]);", conf)
check(timeout and int(timeout.group(1)) * {"s": 1, "m": 60, "h": 3600}[timeout.group(2)] > 15,
      "nginx.conf: proxy_read_timeout above the heartbeat")

nginx_binary = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
if nginx_binary:
    with tempfile.TemporaryDirectory() as prefix:
        # The upstreams are compose service names; here they are resolved as loopback.
        local = re.sub(r"server sse-\d:", "server 127.0.0.1:", conf)
        path = os.path.join(prefix, "nginx.conf")
        with open(path, "w") as f:
            f.write(local)
        result = subprocess.run(
            [nginx_binary, "-t", "-q", "-p", prefix, "-c", path, "-e", "stderr",
             "-g", f"pid {prefix}/nginx.pid;"],
            capture_output=True, text=True)
        check(result.returncode == 0, "nginx -t: " + result.stderr.strip())
else:
    print("nginx not installed: nginx -t not run")

promtool = shutil.which("promtool")
if promtool:
    with tempfile.TemporaryDirectory() as etc:
        # Laid out as the compose file mounts them.
        shutil.copy(os.path.join(docker, "prometheus.yml"), etc)
        shutil.copy(os.path.join(docker, "..", "docs", "prometheus", "sse-server.rules.yml"), etc)
        result = subprocess.run([promtool, "check", "config", os.path.join(etc, "prometheus.yml")],
                                capture_output=True, text=True)
        check(result.returncode == 0, "promtool check config prometheus.yml: " +
              (result.stdout + result.stderr).strip())
else:
    print("promtool not installed: prometheus.yml not checked by it")

finish()
