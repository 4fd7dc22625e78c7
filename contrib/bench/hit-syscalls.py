#!/usr/bin/python3
"""hit-syscalls.py: system calls, context switches and CPU per cache-hit
query of several servers or builds, under bench.py's hit load (1000 cached
names, dnsperf -c 20 -q 500 on CPU 1, the server pinned to CPU 0). Each
target in turn is counted with `perf stat` on the syscalls:sys_enter_*
tracepoints of the calls a UDP server makes and sched:sched_switch (the
server going to sleep) for one dnsperf run; CPU is bench.py's (every
thread's utime + stime from /proc). For descendd, the batch sizes of its
`udp.*` counters too. Counts are deterministic where CPU time is not:
how many calls a query costs shows where a build differs, and the batch
size shows which regime the run was in (the CPU per query falls as the
batches grow, whoever falls behind). Name a target twice to interleave its
runs with the others'.

Usage (as root, from the source tree, inside contrib/netns-run, LAB_DIR set):
    contrib/bench/hit-syscalls.py SECONDS TARGET... [-- dnsperf options, e.g. -D]
TARGET: NAME=descend:BUILD_DIR | NAME=unbound | NAME=echo (bench.py's
recvmmsg/sendmmsg echo, the ceiling).
"""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402

# The calls a UDP server's loop can make per batch or per datagram.
CALLS = ("recvmmsg", "sendmmsg", "recvmsg", "sendmsg", "recvfrom", "sendto",
         "epoll_wait", "epoll_pwait", "epoll_ctl", "read", "write", "futex",
         "clock_gettime", "ioctl")


class Named(bench.Resolver):
    """bench.py's resolver in a directory of its own (two builds at once)."""

    def __init__(self, name, kind, addr, build):
        super().__init__(kind, addr, build)
        self.dir = os.path.join(bench.WORK, "hit-syscalls", name)
        os.makedirs(self.dir, exist_ok=True)


def main():
    args = sys.argv[1:]
    extra = args[args.index("--") + 1:] if "--" in args else []
    args = args[:args.index("--")] if "--" in args else args
    if len(args) < 2 or not args[0].isdigit():
        sys.exit(__doc__)
    seconds, targets = int(args[0]), args[1:]
    outdir = os.path.join(bench.WORK, "hit-syscalls")
    os.makedirs(outdir, exist_ok=True)
    subprocess.run([bench.LAB, "start"], check=True, stdout=subprocess.DEVNULL)
    hot = os.path.join(outdir, "hot.txt")
    bench.write_names(hot, 1000)
    events = ",".join(["raw_syscalls:sys_enter", "sched:sched_switch"] +
                      [f"syscalls:sys_enter_{c}" for c in CALLS])
    servers, order = {}, []
    try:
        for i, target in enumerate(targets):
            name, _, spec = target.partition("=")
            order.append(name)
            if name in servers:
                continue
            if spec == "echo":
                servers[name] = (bench.start_echo(), bench.ECHO_ADDR, None)
            elif spec.startswith("descend:") or spec == "unbound":
                kind, _, build = spec.partition(":")
                addr = f"127.77.100.{10 + i}"
                r = Named(name, kind, addr, os.path.abspath(build) if build else None).start()
                bench.warm(addr, hot, extra)
                servers[name] = (r.proc, addr, r if kind == "descend" else None)
            else:
                sys.exit(f"unknown target {target}")
            subprocess.run(["taskset", "-a", "-p", "-c", "0", str(servers[name][0].pid)],
                           capture_output=True)
        for name in order:
            proc, addr, r = servers[name]
            batches = bench.udp_batches(r) if r is not None else None
            cpu = bench.cpu_of(proc.pid)
            run = subprocess.run(["perf", "stat", "-x", ",", "-e", events, "-p", str(proc.pid),
                                  "--", "taskset", "-c", "1", "dnsperf", "-s", addr, "-d", hot,
                                  "-l", str(seconds), "-c", "20", "-q", "500", "-t", "2",
                                  *extra], capture_output=True, text=True)
            cpu = bench.cpu_of(proc.pid) - cpu
            m = re.search(r"Queries completed:\s+(\d+)", run.stdout)
            queries = int(m.group(1)) if m else 0
            if not queries or cpu <= 0:
                print(f"{name}: no queries completed")
                continue
            counts = {}
            for line in run.stderr.splitlines():
                f = line.split(",")
                if len(f) > 3 and f[0].isdigit() and int(f[0]) > 0:
                    event = f[2].split(":")[-1]
                    event = {"sys_enter": "syscalls", "sched_switch": "sleeps"}.get(
                        event, event.replace("sys_enter_", ""))
                    counts[event] = int(f[0])
            if batches is not None:
                batches = bench.udp_batches(r, batches)
            load = open("/proc/loadavg").read().split()[0]
            print(f"{name:10} {queries / seconds:7.0f} q/s {queries / cpu:7.0f} q/CPU-s "
                  f"(load {load}); per query: " +
                  " ".join(f"{k} {v / queries:.3f}" for k, v in
                           sorted(counts.items(), key=lambda kv: -kv[1])) +
                  (f"; {batches}" if batches else ""), flush=True)
    finally:
        for proc, _, _ in servers.values():
            proc.terminate()
            proc.wait()
        subprocess.run([bench.LAB, "stop"], stdout=subprocess.DEVNULL)


if __name__ == "__main__":
    main()
