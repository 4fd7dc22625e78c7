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
import hit_targets  # noqa: E402

# The calls a UDP server's loop can make per batch or per datagram.
CALLS = ("recvmmsg", "sendmmsg", "recvmsg", "sendmsg", "recvfrom", "sendto",
         "epoll_wait", "epoll_pwait", "epoll_ctl", "read", "write", "futex",
         "clock_gettime", "ioctl")


def main():
    seconds, targets, extra = hit_targets.parse_args(__doc__)
    events = ",".join(["raw_syscalls:sys_enter", "sched:sched_switch"] +
                      [f"syscalls:sys_enter_{c}" for c in CALLS])
    _, hot, servers, order = hit_targets.start("hit-syscalls", targets, extra)
    try:
        for name in order:
            proc, addr, r = servers[name]
            batches = bench.udp_batches(r) if r is not None else None
            cpu = bench.cpu_of(proc.pid)
            run = subprocess.run(["perf", "stat", "-x", ",", "-e", events, "-p", str(proc.pid),
                                  "--", *hit_targets.dnsperf(addr, hot, seconds, extra)],
                                 capture_output=True, text=True)
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
        hit_targets.stop(servers)


if __name__ == "__main__":
    main()
