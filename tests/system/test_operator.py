"""descendd for operators: privileges dropped after the sockets are bound
(uid, gid, groups, capabilities, chroot; reload still works as the user), and
the Prometheus endpoint (every line parsed, counters move, the latency
histogram is cumulative)."""
import os
import pwd
import re
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

import pytest

from conftest import DAEMON_ADDR, DESCENDD, HINTS, run_descend


def proc_status(pid):
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            fields[key] = value.split()
    return fields


class Dropping:
    """A descendd whose files live in a directory the user can read (pytest's
    own directories are root's, mode 0700)."""

    def __init__(self, user="nobody", extra="", chroot=False):
        self.dir = tempfile.mkdtemp(prefix="descend-privileges-")
        os.chmod(self.dir, 0o755)
        self.hints = os.path.join(self.dir, "root.hints")
        shutil.copy(HINTS, self.hints)
        os.chmod(self.hints, 0o644)
        self.run = os.path.join(self.dir, "run")   # descendd makes it
        self.control = os.path.join(self.run, "control.sock")
        self.pidfile = os.path.join(self.run, "descendd.pid")
        self.conf = os.path.join(self.dir, "descendd.conf")
        with open(self.conf, "w") as f:
            f.write(f"listen: {DAEMON_ADDR}@53\nroot-hints: {self.hints}\n"
                    "query-loopback: yes\nthreads: 2\n"
                    f"control-socket: {self.control}\npidfile: {self.pidfile}\n"
                    f'username: "{user}"\n'
                    # Privileges are the subject: Debian's root anchor would
                    # make the lab bogus, the lab's is outside the chroot.
                    "dnssec-validation: no\n" +
                    (f"chroot: {self.dir}\n" if chroot else "") + extra)
        os.chmod(self.conf, 0o644)
        self.log = os.path.join(self.dir, "descendd.log")
        self.proc = None
        self.env = dict(os.environ)
        if chroot:
            # LeakSanitizer reads /proc at exit, which a chroot hides.
            self.env["ASAN_OPTIONS"] = "detect_leaks=0"

    def start(self):
        import dns.message
        import dns.query
        self.proc = subprocess.Popen([DESCENDD, "-d", "-c", self.conf],
                                     stdout=open(self.log, "w"),
                                     stderr=subprocess.STDOUT, env=self.env)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("descendd exited: " + open(self.log).read())
            try:
                q = dns.message.make_query("localhost.", "A")
                dns.query.udp(q, DAEMON_ADDR, timeout=0.5)
                if os.path.exists(self.control):
                    return self
            except Exception:
                pass
            time.sleep(0.05)
        raise RuntimeError("descendd did not answer: " + open(self.log).read())

    def control_cmd(self, *args):
        return run_descend("control", "-s", self.control, *args)

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def dropping(lab):
    made = []

    def make(**kw):
        d = Dropping(**kw)
        made.append(d)
        return d.start()

    yield make
    for d in made:
        d.cleanup()


def assert_unprivileged(pid, user):
    pw = pwd.getpwnam(user)
    st = proc_status(pid)
    assert st["Uid"] == [str(pw.pw_uid)] * 4, st["Uid"]
    assert st["Gid"] == [str(pw.pw_gid)] * 4, st["Gid"]
    assert set(st.get("Groups", [])) <= {str(pw.pw_gid)}, st["Groups"]
    for caps in ("CapInh", "CapPrm", "CapEff", "CapAmb"):
        assert int(st[caps][0], 16) == 0, f"{caps} {st[caps]}"
    assert st["NoNewPrivs"] == ["1"]
    # every thread, not just the main one (capabilities are per thread)
    for tid in os.listdir(f"/proc/{pid}/task"):
        tst = proc_status(f"{pid}/task/{tid}")
        assert tst["Uid"][0] == str(pw.pw_uid) and int(tst["CapEff"][0], 16) == 0


def test_privileges_dropped_and_reload_works_as_the_user(dropping):
    d = dropping(user="nobody", extra=f"metrics-listen: {DAEMON_ADDR}@80\n")
    import dns.message
    import dns.query
    assert_unprivileged(d.proc.pid, "nobody")
    q = dns.message.make_query("www.example.com.", "A")
    r = dns.query.udp(q, DAEMON_ADDR, timeout=5)
    assert [rd.to_text() for rrset in r.answer for rd in rrset] == ["192.0.2.10"]
    # The control socket, made before the drop, still serves root.
    assert d.control_cmd("reload").stdout == "ok\n"
    # Reloads read the configuration as the user: unreadable to it, it fails.
    os.chmod(d.conf, 0o600)
    out = d.control_cmd("reload").stdout
    assert out.startswith("error:"), out
    os.chmod(d.conf, 0o644)
    for _ in range(5):
        assert d.control_cmd("reload").stdout == "ok\n"
    assert os.kill(d.proc.pid, signal.SIGHUP) is None
    time.sleep(0.2)
    assert d.proc.poll() is None
    r = dns.query.udp(dns.message.make_query("www.dev.example.com.", "A"),
                      DAEMON_ADDR, timeout=5)
    assert r.answer, "no answer after the reloads"
    # The metrics port (below 1024) was bound before the drop.
    body = urllib.request.urlopen(f"http://{DAEMON_ADDR}:80/metrics",
                                  timeout=5).read().decode()
    assert "descend_queries_total" in body
    # The run directory descendd made is the user's: it cleans up at exit.
    assert os.stat(d.run).st_uid == pwd.getpwnam("nobody").pw_uid
    assert d.stop() == 0
    assert not os.path.exists(d.control) and not os.path.exists(d.pidfile)


def test_chroot(dropping):
    d = dropping(user="nobody", chroot=True)
    import dns.message
    import dns.query
    assert os.readlink(f"/proc/{d.proc.pid}/root") == d.dir
    assert_unprivileged(d.proc.pid, "nobody")
    r = dns.query.udp(dns.message.make_query("www.glueless.org.", "A"),
                      DAEMON_ADDR, timeout=5)
    assert r.answer
    # The configuration and hints are reread inside the chroot.
    assert d.control_cmd("reload").stdout == "ok\n"
    assert d.stop() == 0
    assert not os.path.exists(d.control) and not os.path.exists(d.pidfile)


def test_empty_username_keeps_root(daemon):
    pid = int(daemon.pidfile.read_text())
    st = proc_status(pid)
    assert st["Uid"][0] == "0"


def test_missing_user_is_a_start_error(lab, tmp_path):
    conf = tmp_path / "descendd.conf"
    conf.write_text(f"listen: {DAEMON_ADDR}@53\nroot-hints: {HINTS}\n"
                    f"control-socket: {tmp_path}/c.sock\n"
                    "username: no-such-user-here\n")
    p = subprocess.run([DESCENDD, "-d", "-c", str(conf)], capture_output=True,
                       text=True, timeout=10)
    assert p.returncode == 1
    assert "user 'no-such-user-here' does not exist" in p.stderr


# ---- Prometheus ----

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*='
                    r'"(?:[^"\\]|\\.)*"(?:,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*")*)\})?'
                    r' (-?[0-9.e+-]+|NaN|\+Inf|-Inf)$')
COMMENT = re.compile(r'^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.+)$')


def parse_exposition(text):
    """Every line must be a HELP, a TYPE or a sample of a declared family."""
    assert text.endswith("\n")
    types, helps, samples = {}, {}, []
    for line in text.splitlines():
        m = COMMENT.match(line)
        if m:
            kind, name, rest = m.groups()
            table = types if kind == "TYPE" else helps
            assert name not in table, f"second {kind} for {name}"
            table[name] = rest
            if kind == "TYPE":
                assert rest in ("counter", "gauge", "histogram"), line
            continue
        m = SAMPLE.match(line)
        assert m, f"not exposition format: {line!r}"
        name, labels, value = m.group(1), m.group(3) or "", m.group(4)
        family = re.sub(r"_(bucket|sum|count)$", "", name)
        family = family if family in types else name
        assert family in types and family in helps, f"undeclared {name}"
        if types[family] == "counter":
            assert name.endswith("_total"), name
        assert name.startswith("descend_"), name
        samples.append((name, dict(re.findall(r'(\w+)="([^"]*)"', labels)),
                        float(value)))
    return types, samples


def scrape(addr, port=9153, path="/metrics"):
    with urllib.request.urlopen(f"http://{addr}:{port}{path}", timeout=5) as r:
        assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        return r.read().decode()


def value(samples, name, **labels):
    found = [v for n, l, v in samples if n == name and l == labels]
    assert len(found) == 1, f"{name}{labels}: {found}"
    return found[0]


def histogram(samples, name):
    buckets = [(l["le"], v) for n, l, v in samples if n == name + "_bucket"]
    return buckets, value(samples, name + "_count"), value(samples, name + "_sum")


def test_metrics_endpoint(daemon_factory):
    d = daemon_factory(f"metrics-listen: {DAEMON_ADDR}@9153\n", threads=2)
    types, before = parse_exposition(scrape(DAEMON_ADDR))
    # Every key of `descend control stats` is served.
    names = {n for n, _, _ in before}
    for key in d.stats():
        if key.startswith("rcode."):
            value(before, "descend_rcode_total", rcode=key[6:])
            continue
        base = "descend_" + re.sub(r"[^a-z0-9]", "_", key)
        assert {base, base + "_total", base + "_bytes"} & names, key
    assert types["descend_answer_latency_seconds"] == "histogram"
    assert types["descend_cache_bytes"] == "gauge"

    d.query("www.example.com")            # a resolution
    for _ in range(20):                   # and cache hits
        d.query("www.example.com")
    d.query("www.example.com", tcp=True)
    _, after = parse_exposition(scrape(DAEMON_ADDR))
    assert value(after, "descend_queries_total") - value(before, "descend_queries_total") >= 22
    assert value(after, "descend_queries_tcp_total") > value(before, "descend_queries_tcp_total")
    assert value(after, "descend_cache_hits_total") - value(before, "descend_cache_hits_total") >= 20
    assert value(after, "descend_rcode_total", rcode="NOERROR") >= 1

    buckets, count, total = histogram(after, "descend_answer_latency_seconds")
    bounds = [float(le) for le, _ in buckets]
    assert bounds == sorted(bounds) and buckets[-1][0] == "+Inf"
    assert bounds[0] <= 0.001 and 10 in bounds
    counts = [v for _, v in buckets]
    assert counts == sorted(counts), "buckets are not cumulative"
    assert counts[-1] == count
    old_count = histogram(before, "descend_answer_latency_seconds")[1]
    assert count - old_count >= 22, "cache hits are not in the histogram"
    assert total > 0
    # cache hits answer well under a millisecond... or at least under 10 ms
    fast = dict(buckets)["0.01"]
    assert fast - dict(histogram(before, "descend_answer_latency_seconds")[0])["0.01"] >= 20

    with pytest.raises(urllib.error.HTTPError) as e:
        scrape(DAEMON_ADDR, path="/other")
    assert e.value.code == 404
    # A reload leaves the endpoint serving.
    assert d.control_cmd("reload").stdout == "ok\n"
    parse_exposition(scrape(DAEMON_ADDR))


def test_reload_names_the_settings_that_need_a_restart(daemon_factory):
    d = daemon_factory(f"metrics-listen: {DAEMON_ADDR}@9153\n")
    with open(d.conf, "a") as f:
        f.write(f"metrics-listen: {DAEMON_ADDR}@9154\nusername: nobody\n")
    assert d.control_cmd("reload").stdout == \
        "ok\nrestart needed for: username metrics-listen\n"
    log = d.log.read_text()
    assert ("reload: these settings need a restart, the running ones stay: "
            "username metrics-listen") in log, log
    parse_exposition(scrape(DAEMON_ADDR, port=9153))     # the old port serves
    st = proc_status(int(d.pidfile.read_text()))
    assert st["Uid"][0] == "0"                            # and still root


def test_metrics_listen_is_checked(lab, tmp_path):
    conf = tmp_path / "descendd.conf"
    conf.write_text("metrics-listen: 127.0.0.1\n")
    p = subprocess.run([DESCENDD, "-t", "-c", str(conf)], capture_output=True,
                       text=True)
    assert p.returncode == 1 and "expected ADDR@PORT" in p.stderr


def test_ambient_capability_cleared(lab):
    """As systemd starts it (User=descend, AmbientCapabilities=
    CAP_NET_BIND_SERVICE): not root, it binds port 53, then holds nothing."""
    d = Dropping(user="nobody")
    try:
        d.proc = None
        cmd = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
               "--inh-caps=+net_bind_service", "--ambient-caps=+net_bind_service",
               DESCENDD, "-d", "-c", d.conf]
        os.makedirs(d.run)
        os.chown(d.run, pwd.getpwnam("nobody").pw_uid, -1)
        d.proc = subprocess.Popen(cmd, stdout=open(d.log, "w"),
                                  stderr=subprocess.STDOUT)
        import dns.message
        import dns.query
        deadline = time.monotonic() + 10
        while True:
            assert d.proc.poll() is None, open(d.log).read()
            try:
                r = dns.query.udp(dns.message.make_query("www.example.com.", "A"),
                                  DAEMON_ADDR, timeout=0.5)
                break
            except Exception:
                assert time.monotonic() < deadline, open(d.log).read()
                time.sleep(0.05)
        assert r.answer
        assert_unprivileged(d.proc.pid, "nobody")
        assert d.control_cmd("reload").stdout == "ok\n"
    finally:
        d.cleanup()


def test_metrics_scraped_during_queries_and_reloads(daemon_factory):
    """Scrapes race with two workers answering and with reloads: every
    scrape parses, counters never go back, +Inf equals _count. Under a
    TSan build (--enable-tsan) the daemon's log must stay free of reports."""
    import concurrent.futures
    import threading
    d = daemon_factory(f"metrics-listen: {DAEMON_ADDR}@9153\n", threads=2)
    stop = threading.Event()
    names = ["www.example.com", "www.dev.example.com", "www.glueless.org",
             "alias.example.com", "nx.example.com"]

    def query(i):
        for n in range(60):
            try:
                d.query(names[(i + n) % len(names)], tcp=n % 7 == 0, timeout=5)
            except Exception:
                pass

    def reload():
        while not stop.is_set():
            out = d.control_cmd("reload").stdout
            if out != "ok\n":
                stop.set()
                raise AssertionError(f"reload said {out!r}")
            time.sleep(0.05)

    seen = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=6) as pool:
        queries = [pool.submit(query, i) for i in range(4)]
        reloads = pool.submit(reload)
        try:
            while not all(q.done() for q in queries):
                _, samples = parse_exposition(scrape(DAEMON_ADDR))
                buckets, count, _ = histogram(samples,
                                              "descend_answer_latency_seconds")
                assert buckets[-1][1] == count
                seen.append((value(samples, "descend_queries_total"), count))
        finally:
            stop.set()      # else the pool waits for reload() for ever
        reloads.result()
        for q in queries:
            q.result()
    assert len(seen) >= 2
    for column in zip(*seen):
        assert list(column) == sorted(column), "a counter went back"
    assert d.stop() == 0
    assert "ThreadSanitizer" not in d.log.read_text()
