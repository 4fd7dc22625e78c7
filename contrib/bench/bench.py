#!/usr/bin/python3
"""bench.py: descendd against Debian's unbound, side by side in one run, on
the offline lab. Prints a table of cache-hit throughput (queries per second
and per resolver CPU-second, with a bare recvmmsg/sendmmsg echo server as
the ceiling), cold resolution time and upstream queries per lab case
(median of five tries, each from an empty cache),
memory per cached name, and 1- vs 2-thread throughput; then the ratios
descend/unbound and a one-line summary.

Usage (as root, after the README setup, from the source tree):
    contrib/bench/bench.py [--build DIR] [--seconds 10] [--runs 3]
"""
import argparse
import os
import re
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time

SRC = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
LAB = os.path.join(SRC, "contrib", "lab", "lab")
LAB_DIR = os.environ.get("LAB_DIR", "/tmp/descend-lab")
HINTS = os.path.join(LAB_DIR, "root.hints")
WORK = os.path.join(LAB_DIR, "bench")
DESCEND_ADDR, UNBOUND_ADDR, ECHO_ADDR = "127.77.100.2", "127.77.100.3", "127.77.100.4"
TICK = os.sysconf("SC_CLK_TCK")

COLD_CASES = [
    ("plain", "www.example.com"),
    ("sub-delegation", "www.dev.example.com"),
    ("glueless", "www.glueless.org"),
    ("deep chain", "www.a.b.c.deep.net"),
    ("CNAME chain", "alias.example.com"),
    ("one dead server", "www.deadns.net"),
    ("cyclic", "www.cycle-a.com"),
    # tests/system/hostile.py: attacks, where fewer queries is better
    ("NXNS referral (hostile)", "nxns.hostile.net"),
    ("upward referral (hostile)", "upward.hostile.net"),
]
HOSTILE = os.path.join(SRC, "tests", "system", "hostile.py")
COLD_TRIES = 5


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


class Resolver:
    """One resolver process started for the benchmark (stopped by pid)."""

    def __init__(self, kind, addr, build, threads=1):
        self.kind, self.addr, self.build, self.threads = kind, addr, build, threads
        self.proc = None
        self.dir = os.path.join(WORK, f"{kind}-{threads}")
        os.makedirs(self.dir, exist_ok=True)

    def start(self):
        conf = os.path.join(self.dir, "conf")
        if self.kind == "descend":
            with open(conf, "w") as f:
                f.write(f"listen: {self.addr}@53\nroot-hints: {HINTS}\n"
                        f"query-loopback: yes\nthreads: {self.threads}\n"
                        f"control-socket: {self.dir}/control.sock\n"
                        "cache-size: 256m\nlog-level: warning\nprefetch: no\n"
                        'username: ""\n')   # stays root: no user needed
            cmd = [os.path.join(self.build, "resolver", "daemon", "descendd"), "-d", "-c", conf]
        else:
            with open(conf, "w") as f:
                f.write(f"""server:
    interface: {self.addr}
    port: 53
    num-threads: {self.threads}
    so-reuseport: yes
    do-not-query-localhost: no
    root-hints: "{HINTS}"
    chroot: ""
    username: ""
    directory: "{self.dir}"
    pidfile: "{self.dir}/unbound.pid"
    use-syslog: no
    logfile: "{self.dir}/unbound.log"
    access-control: 127.0.0.0/8 allow
    module-config: "iterator"
    qname-minimisation: yes
    msg-cache-size: 128m
    rrset-cache-size: 128m
    prefetch: no
    verbosity: 0
remote-control:
    control-enable: no
""")
            cmd = ["unbound", "-d", "-c", conf]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL,
                                     stderr=open(os.path.join(self.dir, "stderr"), "w"))
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if dig(self.addr, "localhost.", timeout=1) is not None:
                return self
            time.sleep(0.1)
        raise RuntimeError(f"{self.kind} did not start")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def rss_kib(self):
        for line in open(f"/proc/{self.proc.pid}/status"):
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return 0


def dig(addr, name, rdtype="A", timeout=5):
    """One query with dnspython-free plain sockets: returns ms or None."""
    qid = 0x4242
    labels = b"".join(bytes([len(p)]) + p.encode() for p in name.strip(".").split(".") if p)
    query = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + labels + b"\0" + \
        struct.pack("!HH", {"A": 1, "TXT": 16}[rdtype], 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    start = time.monotonic()
    try:
        s.sendto(query, (addr, 53))
        s.recv(65535)
        return (time.monotonic() - start) * 1000
    except OSError:
        return None
    finally:
        s.close()


class UpstreamCounter:
    """Counts queries leaving for the lab's servers (UDP datagrams and TCP
    connections to port 53 on 127.77.0.0-127.77.9.255), seen on lo."""

    def __init__(self):
        self.count = 0
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
        self.sock.bind(("lo", 0))
        self.sock.settimeout(0.2)
        self.running = True
        self.thread = threading.Thread(target=self.loop, daemon=True)
        self.thread.start()

    def loop(self):
        while self.running:
            try:
                data, addr = self.sock.recvfrom(65535)
            except socket.timeout:
                continue
            if addr[2] != socket.PACKET_OUTGOING or len(data) < 14 + 20 + 8:
                continue
            ip = data[14:]
            if ip[0] >> 4 != 4 or ip[16] != 127 or ip[17] != 77 or ip[18] > 9:
                continue
            ihl = (ip[0] & 0x0f) * 4
            proto, l4 = ip[9], ip[ihl:]
            dport = struct.unpack("!H", l4[2:4])[0]
            if dport != 53:
                continue
            if proto == 17 or (proto == 6 and l4[13] & 0x02 and not l4[13] & 0x10):
                self.count += 1

    def stop(self):
        self.running = False
        self.thread.join()
        self.sock.close()


def dnsperf(addr, names_file, seconds, cpu=None, extra=()):
    cmd = ["dnsperf", "-s", addr, "-d", names_file, "-l", str(seconds), "-c", "20",
           "-q", "500", "-t", "2", *extra]
    if cpu is not None:
        cmd = ["taskset", "-c", str(cpu), *cmd]
    out = run(cmd).stdout
    m = re.search(r"Queries per second:\s+([\d.]+)", out)
    return float(m.group(1)) if m else 0.0


def warm(addr, names_file):
    """Resolves every name once at low concurrency, so runs measure hits."""
    run(["dnsperf", "-s", addr, "-d", names_file, "-n", "1", "-c", "1", "-q", "10",
         "-t", "5"])


def write_names(path, count, prefix="n"):
    with open(path, "w") as f:
        for i in range(count):
            f.write(f"{prefix}{i}.wild.example.com A\n")


ECHO_C = r"""
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#define N 64
int main(int argc, char **argv) {
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(53) };
    inet_pton(AF_INET, argv[1], &a.sin_addr);
    if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0) return 1;
    static char buf[N][512]; struct mmsghdr m[N]; struct iovec io[N]; struct sockaddr_in from[N];
    for (;;) {
        for (int i = 0; i < N; i++) {
            io[i].iov_base = buf[i]; io[i].iov_len = 512;
            memset(&m[i], 0, sizeof(m[i]));
            m[i].msg_hdr.msg_iov = &io[i]; m[i].msg_hdr.msg_iovlen = 1;
            m[i].msg_hdr.msg_name = &from[i]; m[i].msg_hdr.msg_namelen = sizeof(from[i]);
        }
        int n = recvmmsg(fd, m, N, MSG_WAITFORONE, NULL);
        if (n <= 0) continue;
        for (int i = 0; i < n; i++) { io[i].iov_len = m[i].msg_len; buf[i][2] |= 0x80; }
        sendmmsg(fd, m, n, 0);
    }
}
"""


def start_echo():
    exe = os.path.join(WORK, "udp-echo")
    src = exe + ".c"
    open(src, "w").write(ECHO_C)
    run(["cc", "-O2", "-o", exe, src], check=True)
    proc = subprocess.Popen([exe, ECHO_ADDR])
    time.sleep(0.2)
    return proc


def cpu_of(pid):
    total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        fields = open(f"/proc/{pid}/task/{tid}/stat").read().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / TICK


def throughput(pid, addr, names, seconds):
    subprocess.run(["taskset", "-a", "-p", "-c", "0", str(pid)], capture_output=True)
    before = cpu_of(pid)
    qps = dnsperf(addr, names, seconds, cpu=1)
    cpu = cpu_of(pid) - before
    return qps, cpu, qps * seconds / cpu if cpu > 0 else 0.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(SRC, "_build", "werror"))
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--names", type=int, default=100000, help="for the memory figure")
    args = ap.parse_args()
    os.makedirs(WORK, exist_ok=True)
    subprocess.run([LAB, "start"], check=True, stdout=subprocess.DEVNULL)
    rows, procs = [], []
    hostile = subprocess.Popen(["/usr/bin/python3", HOSTILE, "127.77.8.1",
                                os.path.join(WORK, "hostile.pid")])
    try:
        hot = os.path.join(WORK, "hot.txt")
        write_names(hot, 1000)
        # Cache-hit throughput, interleaved runs, median.
        resolvers = {k: Resolver(k, a, args.build).start()
                     for k, a in (("descend", DESCEND_ADDR), ("unbound", UNBOUND_ADDR))}
        procs += resolvers.values()
        for r in resolvers.values():
            warm(r.addr, hot)
        echo = start_echo()
        results = {"descend": [], "unbound": [], "echo": []}
        for _ in range(args.runs):
            for k, r in resolvers.items():
                results[k].append(throughput(r.proc.pid, r.addr, hot, args.seconds))
            results["echo"].append(throughput(echo.pid, ECHO_ADDR, hot, args.seconds))
        echo.terminate()
        echo.wait()
        med = {k: tuple(statistics.median(x[i] for x in v) for i in range(3))
               for k, v in results.items()}
        rows.append(("cache-hit queries/s", med["descend"][0], med["unbound"][0], "%.0f"))
        rows.append(("resolver CPU s per run", med["descend"][1], med["unbound"][1], "%.2f"))
        rows.append(("cache-hit queries per CPU-s", med["descend"][2], med["unbound"][2], "%.0f"))
        echo_ratio = med["echo"][2] / med["unbound"][2] if med["unbound"][2] else 0
        print(f"# echo ceiling: {med['echo'][2]:.0f} queries per CPU-s "
              f"({echo_ratio:.2f} x unbound)")
        # Cold resolutions: restart for an empty cache before each try.
        # Server choice is random, so each case runs COLD_TRIES times: the
        # median, and for the dead server the worst try too.
        for label, name in COLD_CASES:
            cold = {}
            for k in ("descend", "unbound"):
                tries = []
                for _ in range(COLD_TRIES):
                    resolvers[k].stop()
                    resolvers[k] = Resolver(k, resolvers[k].addr, args.build).start()
                    counter = UpstreamCounter()
                    ms = dig(resolvers[k].addr, name, timeout=12)
                    time.sleep(0.3)
                    counter.stop()
                    tries.append((ms if ms is not None else float("nan"), counter.count))
                cold[k] = (statistics.median(t[0] for t in tries),
                           statistics.median(t[1] for t in tries),
                           max(t[0] for t in tries))
            rows.append((f"cold {label}: ms", cold["descend"][0], cold["unbound"][0], "%.1f"))
            if label == "one dead server":
                rows.append((f"cold {label}: worst ms", cold["descend"][2],
                             cold["unbound"][2], "%.1f"))
            rows.append((f"cold {label}: upstream queries", cold["descend"][1],
                         cold["unbound"][1], "%d"))
        # Memory per cached name.
        many = os.path.join(WORK, "many.txt")
        write_names(many, args.names, prefix="m")
        mem = {}
        for k in ("descend", "unbound"):
            resolvers[k].stop()
            resolvers[k] = Resolver(k, resolvers[k].addr, args.build).start()
            dig(resolvers[k].addr, "www.example.com")
            base = resolvers[k].rss_kib()
            run(["dnsperf", "-s", resolvers[k].addr, "-d", many, "-n", "1", "-c", "20",
                 "-q", "200", "-t", "5"])
            mem[k] = (resolvers[k].rss_kib() - base) * 1024 / args.names
        rows.append(("bytes of RSS per cached name", mem["descend"], mem["unbound"], "%.0f"))
        for r in resolvers.values():
            r.stop()
        # Scaling: 1 and 2 threads (dnsperf shares the two cores here).
        for threads in (1, 2):
            qps = {}
            for k, a in (("descend", DESCEND_ADDR), ("unbound", UNBOUND_ADDR)):
                r = Resolver(k, a, args.build, threads).start()
                procs.append(r)
                warm(a, hot)
                qps[k] = dnsperf(a, hot, args.seconds)
                r.stop()
            rows.append((f"queries/s with {threads} thread(s), unpinned", qps["descend"],
                         qps["unbound"], "%.0f"))
    finally:
        for r in procs:
            r.stop()
        hostile.terminate()
        hostile.wait()
    print(f"{'figure':<44} {'descend':>12} {'unbound':>12} {'ratio':>8}")
    for label, d, u, fmt in rows:
        ratio = d / u if u else float("nan")
        print(f"{label:<44} {fmt % d:>12} {fmt % u:>12} {ratio:>8.2f}")
    qcpu = [r for r in rows if r[0] == "cache-hit queries per CPU-s"][0]
    print(f"summary: descend serves {qcpu[1] / qcpu[2]:.2f}x unbound's cache-hit queries per "
          f"CPU-second (target 1.25x, echo ceiling {echo_ratio:.2f}x)")


if __name__ == "__main__":
    sys.exit(main())
