#!/usr/bin/python3
"""sibling-ab.py: milliseconds per cold resolution of a sibling name (a
fresh nI.wild.example.com under a zone the cache already knows: one
upstream query each), several servers or builds side by side.

Two ways, both with bench.py's configurations:
  loop     each target is started once and resolves n0 (not counted); then
           n1..nN are asked of each target in turn, the first of each round
           alternating, so the machine's load falls on all alike. Each reply
           is checked (NOERROR, 192.0.2.60). Prints the median, mean and
           10th/90th percentiles, and the resolver's CPU per name (schedstat,
           all threads, over the loop).
  restart  bench.py's cold case: per try, every target is restarted,
           resolves n1 and waits until idle (0.3 s without an upstream
           query; bench.py waits 1 s), then n2 is timed.
  bench    bench.py's cold sibling case exactly: per try, every target is
           restarted, resolves n1 with an UpstreamCounter running until
           1 s (bench.IDLE_S) without an upstream query, then n2 is timed
           with a new UpstreamCounter's thread running, as bench.py times
           it. Also prints the resolver's page faults, CPU, time slices
           and context switches during the timed query (/proc, all
           threads; SIBLING_AB_ALL=1: per try and thread). Options:
           --idle S (the quiet time), --no-counter (no counter thread
           while n2 is timed), --stats-at S (read /proc S after the
           answer; default 0.005).
  callgrind  each descend target in turn runs under valgrind's callgrind
           (instrumentation off until n0 is resolved), resolves n1..nN,
           and prints its user-space instructions per name (deterministic,
           unlike the times); the profiles stay in $LAB_DIR/bench/sibling-ab/
           for callgrind_annotate. Under valgrind descendd leaves glibc's
           tcache at its default (descendd.c tune_malloc): run with
           GLIBC_TUNABLES=glibc.malloc.tcache_count=64 for the setting it
           runs with otherwise (every target then gets it).
loop and restart also split each resolution by the kernel timestamps of its datagrams
on lo (Phases): "in" from the client's query to the upstream query, "up"
the authority's time, "out" from its reply to the client's answer.
SIBLING_AB_ALL=1 prints every try's ms too.

restart --case LABEL times another of bench.py's cold cases instead (its
label in bench.COLD_CASES, e.g. "CNAME chain": alias.example.com), from an
empty cache as bench.py does, the targets taking turns; each answer is
checked against bench.EXPECTED, and the upstream queries are counted (kernel
copies on lo, until 0.3 s without one). Its split on lo: "first" from the
client's query to the first upstream query, "wait" the time upstream
queries were out (from each send to its reply, overlaps counted once),
"work" the rest (the resolver's own time between exchanges), and the
exchanges on the critical path ("rounds": a query sent before the previous
reply arrived shares its round).

Usage (as root, from the source tree, inside contrib/netns-run, LAB_DIR set):
    contrib/bench/sibling-ab.py loop|restart|callgrind COUNT TARGET...
    contrib/bench/sibling-ab.py restart COUNT --case LABEL TARGET...
    contrib/bench/sibling-ab.py bench COUNT [--idle S] [--no-counter] [--stats-at S] TARGET...
TARGET: NAME=descend:BUILD_DIR | NAME=unbound.
"""
import os
import re
import socket
import struct
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402


class Phases:
    """Kernel timestamps of the UDP datagrams on lo (AF_PACKET, outgoing
    copies only) during one resolution: where its time goes. in: the
    client's query to the resolver's upstream query; up: that query to its
    reply; out: the reply to the client's answer."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(0x0003))
        self.sock.bind(("lo", 0))
        self.sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        self.sock.setblocking(False)

    def drain(self):
        """[(ns, from resolver/client/upstream, to ...)] since the last drain."""
        seen = []
        while True:
            try:
                data, anc, _, addr = self.sock.recvmsg(128, 64)
            except BlockingIOError:
                return seen
            if addr[2] != socket.PACKET_OUTGOING or data[9] != 17:
                continue
            ns = next((struct.unpack("qq", d[:16]) for lvl, t, d in anc
                       if t == SO_TIMESTAMPNS), None)
            ihl = (data[0] & 0x0f) * 4
            sport, dport = struct.unpack("!HH", data[ihl:ihl + 4])
            seen.append((ns[0] * 10**9 + ns[1], sport, dport, data[16:20]))

    @staticmethod
    def split(seen, addr):
        """(in, up, out) in ms from one resolution's datagrams, or None."""
        ip = socket.inet_aton(addr)
        q = [t for t, sp, dp, dst in seen if dst == ip and dp == 53]
        a = [t for t, sp, dp, dst in seen if sp == 53 and dst != ip and dp != 53 and
             t > (q[0] if q else 0)]
        up = [t for t, sp, dp, dst in seen if dp == 53 and dst != ip]
        if len(q) != 1 or len(up) != 1 or len(a) != 2:
            return None
        # a: the upstream reply, then the answer to the client.
        return ((up[0] - q[0]) / 1e6, (a[0] - up[0]) / 1e6, (a[1] - a[0]) / 1e6)


    @staticmethod
    def client(seen, addr, clock):
        """(send, wake) in ms: from the client's sendto call to its query on
        lo, and from the answer on lo to the client's recv returning."""
        ip = socket.inet_aton(addr)
        q = [t for t, sp, dp, dst in seen if dst == ip and dp == 53]
        a = [t for t, sp, dp, dst in seen if sp == 53 and dst != ip and dp != 53]
        if len(clock) != 2 or not q or not a:
            return (0.0, 0.0)
        return ((q[0] - clock[0]) / 1e6, (clock[1] - a[-1]) / 1e6)


SO_TIMESTAMPNS = 35


class Exchanges(Phases):
    """One multi-exchange resolution's datagrams on lo: its queries to the
    lab's servers (127.77.0.0-99.x) and their replies, by port pair."""

    @staticmethod
    def split_case(seen, addr):
        """(first, wait, work, rounds, queries) in ms, or None."""
        ip = socket.inet_aton(addr)
        q = [(t, sp) for t, sp, dp, dst in seen if dst == ip and dp == 53]
        if len(q) != 1:
            return None
        start, client = q[0]
        a = [t for t, sp, dp, dst in seen if sp == 53 and dp == client and t > start]
        if not a:
            return None
        end = a[0]
        sent = {}
        spans = []
        for t, sp, dp, dst in seen:
            if t > end:
                break
            if dp == 53 and dst != ip and dst[:2] == b"\x7f\x4d" and dst[2] < 100:
                sent[sp] = t
            elif sp == 53 and dp in sent:
                spans.append((sent.pop(dp), t))
        if not spans:
            return None
        spans.sort()
        wait, rounds, cur_end = 0, 0, 0
        for s0, e0 in spans:
            if s0 >= cur_end:
                rounds += 1
                wait += e0 - s0
                cur_end = e0
            elif e0 > cur_end:
                wait += e0 - cur_end
                cur_end = e0
        total = end - start
        return ((spans[0][0] - start) / 1e6, wait / 1e6, (total - wait) / 1e6, rounds,
                len(spans))


class Named(bench.Resolver):
    """bench.py's resolver in a directory of its own (two builds at once)."""

    def __init__(self, name, kind, addr, build):
        super().__init__(kind, addr, build)
        self.dir = os.path.join(bench.WORK, "sibling-ab", name)
        os.makedirs(self.dir, exist_ok=True)


def dig_clock(addr, name, clock):
    """bench.dig's query, the same steps, also noting CLOCK_REALTIME (the
    clock of the timestamps on lo) just before its sendto and just after
    its recv in clock."""
    qid = 0x4242
    labels = b"".join(bytes([len(p)]) + p.encode() for p in name.strip(".").split(".") if p)
    query = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + labels + b"\0" + \
        struct.pack("!HH", 1, 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(5)
    start = time.monotonic()
    try:
        clock.append(time.time_ns())
        s.sendto(query, (addr, 53))
        data = s.recv(65535)
        clock.append(time.time_ns())
        return (time.monotonic() - start) * 1000, data
    except OSError:
        return None, None
    finally:
        s.close()


def ask(addr, name, clock=None):
    """ms for one A query, or None unless it got NOERROR and 192.0.2.60.
    clock: a list for dig_clock's two times (bench mode)."""
    import dns.message
    reply = []
    if clock is None:
        ms = bench.dig(addr, name, "A", timeout=5, reply=reply)
    else:
        ms, data = dig_clock(addr, name, clock)
        reply = [data] if data is not None else []
    if ms is None or not reply:
        return None
    msg = dns.message.from_wire(reply[0])
    got = {f"{r.name.to_text().lower()} {rd.to_text()}" for r in msg.answer for rd in r}
    return ms if msg.rcode() == 0 and got == {f"{name}. 192.0.2.60"} else None


def timed(phases, name, addr, host, times, split):
    """Asks, records the ms and the phases of the resolution."""
    phases.drain()
    ms = ask(addr, host)
    if ms is None:
        sys.exit(f"{name}: {host} failed")
    times[name].append(ms)
    time.sleep(0.001)
    got = Phases.split(phases.drain(), addr)
    if got is not None:
        split[name].append(got)


def callgrind(name, addr, build, count):
    """Instructions per sibling name of descendd under callgrind."""
    r = Named(name, "descend", addr, build)
    conf = os.path.join(r.dir, "conf")
    with open(conf, "w") as f:
        f.write(r.config())
    out = os.path.join(r.dir, "callgrind.out")
    proc = subprocess.Popen(["valgrind", "--tool=callgrind", "--instr-atstart=no",
                             f"--callgrind-out-file={out}", "-q",
                             os.path.join(build, "resolver", "daemon", "descendd"),
                             "-d", "-c", conf], stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while bench.dig(addr, "localhost.", timeout=1) is None:
            if time.monotonic() > deadline:
                sys.exit(f"{name}: descendd did not start under valgrind")
        if ask(addr, "n0.wild.example.com") is None:
            sys.exit(f"{name}: n0.wild.example.com failed")
        time.sleep(1)
        subprocess.run(["callgrind_control", "-i", "on", str(proc.pid)],
                       capture_output=True)
        for i in range(1, count + 1):
            if ask(addr, f"n{i}.wild.example.com") is None:
                sys.exit(f"{name}: n{i}.wild.example.com failed")
        time.sleep(0.5)
        subprocess.run(["callgrind_control", "-d", str(proc.pid)],
                       capture_output=True)
    finally:
        proc.terminate()
        proc.wait()
    dumps = sorted(f for f in os.listdir(r.dir) if f.startswith("callgrind.out."))
    text = subprocess.run(["callgrind_annotate", os.path.join(r.dir, dumps[-1])],
                          capture_output=True, text=True).stdout
    m = re.search(r"^([\d,]+) .*PROGRAM TOTALS", text, re.M)
    total = int(m.group(1).replace(",", "")) if m else 0
    print(f"{name:10} callgrind {count}: {total / count:,.0f} instructions per name "
          f"({os.path.join(r.dir, dumps[-1])})", flush=True)


def cpu_ns(pid):
    """The process's CPU time so far, all threads, in ns (schedstat)."""
    return sum(int(open(f"/proc/{pid}/task/{tid}/schedstat").read().split()[0])
               for tid in os.listdir(f"/proc/{pid}/task"))


def thread_stats(pid):
    """{tid: (comm, minflt, majflt, cpu ns, timeslices, voluntary and
    involuntary switches, last cpu)} of a process's threads."""
    got = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        base = f"/proc/{pid}/task/{tid}"
        try:
            stat = open(f"{base}/stat").read()
            sched = open(f"{base}/schedstat").read().split()
            status = open(f"{base}/status").read()
        except OSError:
            continue
        comm = stat[stat.index("(") + 1:stat.rindex(")")]
        f = stat[stat.rindex(")") + 2:].split()
        sw = dict(line.split(":\t") for line in status.splitlines() if "ctxt_switches" in line)
        got[tid] = (comm, int(f[7]), int(f[9]), int(sched[0]), int(sched[2]),
                    int(sw["voluntary_ctxt_switches"]), int(sw["nonvoluntary_ctxt_switches"]),
                    int(f[36]))
    return got


def stats_delta(before, after):
    """Per-thread differences (minflt, majflt, cpu us, slices, vol, invol)
    of the threads that did anything, and the totals."""
    rows, tot = [], [0] * 6
    for tid, a in sorted(after.items()):
        b = before.get(tid, (a[0], 0, 0, 0, 0, 0, 0, 0))
        d = (a[1] - b[1], a[2] - b[2], (a[3] - b[3]) / 1e3, a[4] - b[4], a[5] - b[5],
             a[6] - b[6])
        if any(d):
            rows.append((a[0], tid, a[7], d))
        tot = [x + y for x, y in zip(tot, d)]
    return rows, tot


def run_bench(count, targets, idle, counting, stats_at):
    """bench: bench.py's cold sibling case step by step. Per try and target
    (taking turns): restart, the primer n1 with an UpstreamCounter until
    `idle` s without an upstream query (bench.IDLE_S), then a new
    UpstreamCounter (its thread running, unless counting is False) while
    n2 is timed, and until idle again. Around the timed query: the
    resolver's per-thread page faults, CPU, time slices and context
    switches (/proc; read `stats_at` s after the answer), and the split on lo."""
    times = {t[0]: [] for t in targets}
    split = {t[0]: [] for t in targets}
    deltas = {t[0]: [] for t in targets}
    phases = Phases()
    for i in range(count):
        order = targets if i % 2 == 0 else targets[::-1]
        for tname, kind, addr, build in order:
            r = Named(tname, kind, addr, build).start()
            try:
                primer = bench.UpstreamCounter()
                if ask(addr, "n1.wild.example.com") is None:
                    sys.exit(f"{tname}: n1.wild.example.com failed")
                primer.wait_idle(quiet=idle)
                primer.stop()
                counter = bench.UpstreamCounter() if counting else None
                phases.drain()
                before = thread_stats(r.proc.pid)
                clock = []
                ms = ask(addr, "n2.wild.example.com", clock)
                if stats_at:
                    time.sleep(stats_at)
                after = thread_stats(r.proc.pid)
                if counter is not None:
                    counter.wait_idle(quiet=idle)
                    counter.stop()
                if ms is None:
                    sys.exit(f"{tname}: n2.wild.example.com failed")
                times[tname].append(ms)
                deltas[tname].append(stats_delta(before, after))
                seen = phases.drain()
                got = Phases.split(seen, addr)
                if got is not None:
                    split[tname].append(got + Phases.client(seen, addr, clock))
            finally:
                r.stop()
    load = open("/proc/loadavg").read().split()[0]
    for tname, *_ in targets:
        print(f"{tname:10} bench {count} (idle {idle} s, counter "
              f"{'on' if counting else 'off'}): {summary(times[tname])} (load {load})",
              flush=True)
        if split[tname]:
            print(f"{'':10} {len(split[tname])} split on lo (median ms): " +
                  ", ".join(f"{k} {statistics.median(p[j] for p in split[tname]):.3f}"
                            for j, k in enumerate(("in", "up", "out", "send", "wake"))))
        tots = [d[1] for d in deltas[tname]]
        print(f"{'':10} per try (median): " + ", ".join(
            f"{k} {statistics.median(t[j] for t in tots):g}"
            for j, k in enumerate(("minflt", "majflt", "cpu us", "slices", "vol sw",
                                   "invol sw"))))
        if os.environ.get("SIBLING_AB_ALL"):
            for ms, (rows, _), sp in zip(times[tname], deltas[tname],
                                         split[tname] + [None] * len(times[tname])):
                print(f"    {ms:.3f} ms" + (" in/up/out/send/wake " + "/".join(f"{x:.3f}" for x in sp)
                                           if sp else "") + " | " +
                      "; ".join(f"{c}[{tid}]@{cpu} flt {d[0]} cpu {d[2]:.0f}us "
                                f"sl {d[3]} sw {d[4]}/{d[5]}"
                                for c, tid, cpu, d in rows))


def summary(ms):
    ms = sorted(ms)
    q = statistics.quantiles(ms, n=10) if len(ms) >= 10 else [ms[0]] * 9
    return (f"median {statistics.median(ms):.3f} ms, mean {statistics.mean(ms):.3f}, "
            f"p10 {q[0]:.3f}, p90 {q[8]:.3f}")


def ask_case(addr, name):
    """ms for one A query of a cold case, or None unless bench.EXPECTED."""
    reply = []
    ms = bench.dig(addr, name, "A", timeout=12, reply=reply)
    return ms if ms is not None and reply and bench.answer_ok(name, reply[0]) else None


def run_case(label, count, targets):
    """restart --case: bench.py's cold case LABEL, COUNT tries per target."""
    case = next((c for c in bench.COLD_CASES if c[0] == label), None)
    if case is None:
        sys.exit(f"no cold case {label!r} in bench.COLD_CASES")
    name, first = case[1], (case[2] if len(case) > 2 else None)
    times = {t[0]: [] for t in targets}
    split = {t[0]: [] for t in targets}
    queries = {t[0]: [] for t in targets}
    phases = Exchanges()
    for i in range(count):
        order = targets if i % 2 == 0 else targets[::-1]
        for tname, kind, addr, build in order:
            r = Named(tname, kind, addr, build).start()
            try:
                if first is not None:
                    primer = bench.UpstreamCounter()
                    ask_case(addr, first)
                    primer.wait_idle(quiet=0.3)
                    primer.stop()
                phases.drain()
                counter = bench.UpstreamCounter()
                ms = ask_case(addr, name)
                counter.wait_idle(quiet=0.3)
                counter.stop()
                if ms is None:
                    sys.exit(f"{tname}: {name} failed")
                times[tname].append(ms)
                queries[tname].append(counter.count)
                got = Exchanges.split_case(phases.drain(), addr)
                if got is not None:
                    split[tname].append(got)
            finally:
                r.stop()
    load = open("/proc/loadavg").read().split()[0]
    for tname, *_ in targets:
        print(f"{tname:10} {label} x{count}: {summary(times[tname])}, "
              f"upstream queries median {statistics.median(queries[tname]):.0f} "
              f"(load {load})", flush=True)
        if split[tname]:
            print(f"{'':10} {len(split[tname])} split on lo (median): " +
                  ", ".join(f"{k} {statistics.median(p[j] for p in split[tname]):.3f} ms"
                            for j, k in enumerate(("first", "wait", "work"))) +
                  f", rounds {statistics.median(p[3] for p in split[tname]):.0f}"
                  f" of {statistics.median(p[4] for p in split[tname]):.0f} exchanges")
        if os.environ.get("SIBLING_AB_ALL"):
            print("   ", " ".join(f"{ms:.2f}" for ms in times[tname]))


def main():
    args = sys.argv[1:]
    case = None
    idle, counting, stats_at = bench.IDLE_S, True, 0.005
    while len(args) > 2 and args[2] in ("--idle", "--no-counter", "--stats-at"):
        if args[2] == "--no-counter":
            counting = False
            del args[2]
        elif args[2] == "--idle":
            idle = float(args[3])
            del args[2:4]
        else:
            stats_at = float(args[3])
            del args[2:4]
    if len(args) > 3 and args[2] == "--case":
        case = args[3]
        del args[2:4]
    if len(args) < 3 or args[0] not in ("loop", "restart", "callgrind", "bench") or \
            not args[1].isdigit() or (case is not None and args[0] != "restart"):
        sys.exit(__doc__)
    mode, count, targets = args[0], int(args[1]), []
    for i, target in enumerate(args[2:]):
        name, _, spec = target.partition("=")
        kind, _, build = spec.partition(":")
        if kind not in ("descend", "unbound"):
            sys.exit(f"unknown target {target}")
        targets.append((name, kind, f"127.77.100.{10 + i}",
                        os.path.abspath(build) if build else None))
    subprocess.run([bench.LAB, "start"], check=True, stdout=subprocess.DEVNULL)
    times = {t[0]: [] for t in targets}
    split = {t[0]: [] for t in targets}
    phases = Phases()
    cpu = {}
    servers = {}
    try:
        if case is not None:
            run_case(case, count, targets)
            return
        if mode == "bench":
            run_bench(count, targets, idle, counting, stats_at)
            return
        if mode == "callgrind":
            for name, kind, addr, build in targets:
                if kind == "descend":
                    callgrind(name, addr, build, count)
            return
        if mode == "loop":
            for name, kind, addr, build in targets:
                servers[name] = Named(name, kind, addr, build).start()
                if ask(addr, "n0.wild.example.com") is None:
                    sys.exit(f"{name}: n0.wild.example.com failed")
            time.sleep(1)
            before = {n: cpu_ns(r.proc.pid) for n, r in servers.items()}
            for i in range(1, count + 1):
                order = targets if i % 2 else targets[::-1]
                for name, _, addr, _ in order:
                    timed(phases, name, addr, f"n{i}.wild.example.com", times, split)
            cpu = {n: (cpu_ns(r.proc.pid) - before[n]) / count / 1e6
                   for n, r in servers.items()}
        else:
            for i in range(count):
                order = targets if i % 2 == 0 else targets[::-1]
                for name, kind, addr, build in order:
                    r = Named(name, kind, addr, build).start()
                    try:
                        primer = bench.UpstreamCounter()
                        ask(addr, "n1.wild.example.com")
                        primer.wait_idle(quiet=0.3)
                        primer.stop()
                        timed(phases, name, addr, "n2.wild.example.com", times, split)
                    finally:
                        r.stop()
        load = open("/proc/loadavg").read().split()[0]
        for name, *_ in targets:
            print(f"{name:10} {mode} {count}: {summary(times[name])}" +
                  (f", CPU {cpu[name]:.3f} ms/name" if name in cpu else "") +
                  f" (load {load})", flush=True)
            if split[name]:
                print(f"{'':10} {len(split[name])} split on lo (median ms): " +
                      ", ".join(f"{k} {statistics.median(p[j] for p in split[name]):.3f}"
                                for j, k in enumerate(("in", "up", "out"))))
            if os.environ.get("SIBLING_AB_ALL"):
                print("   ", " ".join(f"{ms:.2f}" for ms in times[name]))
    finally:
        for r in servers.values():
            r.stop()
        subprocess.run([bench.LAB, "stop"], stdout=subprocess.DEVNULL)


if __name__ == "__main__":
    main()
