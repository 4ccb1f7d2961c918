"""What scripts/bench-year and scripts/bench-rest share: a `truce serve` on one of bench-year's stores,
its bench user's requests, and the server's watch rounds and memory."""
import datetime
import json
import os
import re
import subprocess
import time
import urllib.request

PASSWORD = "bench-year-password"


def checked(store, binaries):
    """STORE and BINARIES as absolute paths, or the script stops with what is wrong: a mistyped store is
    an error here (`truce users` would make a data directory where there is none), so is a binary that
    is not an executable."""
    store, binaries = os.path.abspath(store), [os.path.abspath(b) for b in binaries]
    if not os.path.isfile(os.path.join(store, "truce.sqlite")):
        raise SystemExit(f"{store}: not a data directory of bench-year (no truce.sqlite); build it with scripts/bench-year")
    for b in binaries:
        if not os.access(b, os.X_OK):
            raise SystemExit(f"{b}: not an executable")
    return store, binaries


def serve(truce, d, log_path, env=None):
    """A `truce serve` on d (loopback, TAK off, the watch every 5 s) and its base URL."""
    log = open(log_path, "w")
    server = subprocess.Popen([truce, "serve", "--data-dir", d, "--listen", "127.0.0.1:0", "--tak-tcp", "off",
                               "--tak-udp", "off", "--tak-tls", "off", "--watch-every", "5"],
                              stdout=log, stderr=subprocess.STDOUT, env=env)
    for _ in range(6000):
        m = re.search(r"listening on http://127\.0\.0\.1:(\d+)/", open(log_path).read())
        if m:
            return server, f"http://127.0.0.1:{m.group(1)}"
        time.sleep(0.1)
    server.terminate()
    raise SystemExit(f"the server did not start: {open(log_path).read()}")


def client(base):
    """GET of a path on base as the bench user (logged in once)."""
    login = urllib.request.Request(f"{base}/api/v1/login", method="POST",
                                   data=json.dumps({"user": "bench", "password": PASSWORD}).encode(),
                                   headers={"Content-Type": "application/json"})
    token = json.load(urllib.request.urlopen(login))["token"]

    def get(path, base=base):
        req = urllib.request.Request(base + path, headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(req, timeout=600) as resp:
            return resp.read()
    return get


def watch_round(get, n, base):
    """Waits for the n-th watch round on base; the last round's time, ms."""
    for _ in range(12000):
        text = get("/metrics", base).decode()
        rounds = re.search(r'^truce_watch_rounds_total\{led="yes"\} (\S+)$', text, re.M)
        gauge = re.search(r"^truce_watch_round_seconds (\S+)$", text, re.M)
        if rounds and gauge and float(rounds.group(1)) >= n:
            return round(float(gauge.group(1)) * 1000, 1)
        time.sleep(0.05)
    raise SystemExit("the watch did not run")


def requests(today):
    """The everyday requests timed on each store: (name, path)."""
    yesterday = today - datetime.timedelta(days=1)
    day_since, day_until = f"{today - datetime.timedelta(days=2)}T00:00:00Z", f"{yesterday}T00:00:00Z"
    hour = f"since={yesterday}T12:00:00Z&until={yesterday}T13:00:00Z"
    return [
        ("api stats", "/api/v1/stats"),
        ("api series", "/api/v1/series"),
        ("api observations of a day (first page)", f"/api/v1/observations?since={day_since}&until={day_until}"),
        ("api incidents of a day", f"/api/v1/incidents?since={day_since}&until={day_until}"),
        ("api warning", "/api/v1/warning"),
        ("api report daily", f"/api/v1/reports/daily?date={yesterday}&format=json"),
        ("api report status (two weeks)",
         f"/api/v1/reports/status?from={today - datetime.timedelta(days=14)}&to={yesterday}&format=json"),
        ("api tracks of an hour", f"/api/v1/tracks/history?{hour}"),
        ("api one unit's track", "/api/v1/tracks/bench-unit-0001"),
    ]


def rss_mb(pid, field="VmRSS"):
    """A process's VmRSS (or VmHWM), MB."""
    status = open(f"/proc/{pid}/status").read()
    return round(int(re.search(rf"{field}:\s+(\d+)", status).group(1)) / 1024, 1)
