#!/usr/bin/python3
"""profile-ab.py: CPU per cache-hit query of several servers or builds side
by side, in microseconds by object (the kernel, descendd, libc...). Each
target in turn, with bench.py's configuration and hit load (1000 cached
names, dnsperf -c 20 -q 500 on CPU 1, the server pinned to CPU 0), is
recorded with `perf record -e cpu-clock -F 4000 -g -p PID` for one dnsperf
run; the samples over dnsperf's completed queries give the CPU per query.
Each run also prints the share of the kernel functions in WATCH.
Shares hide how much: this is for comparing builds (name a target twice to
interleave its runs with the others'; the machine's load moves the
kernel's part from run to run by more than descendd's own code costs).

Usage (as root, from the source tree, inside contrib/netns-run, LAB_DIR set):
    contrib/bench/profile-ab.py SECONDS TARGET... [-- dnsperf options, e.g. -D]
TARGET: NAME=descend:BUILD_DIR | NAME=unbound | NAME=echo (bench.py's
recvmmsg/sendmmsg echo, the ceiling). perf.data files stay in
$LAB_DIR/bench/profile-ab/.
"""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402
import hit_targets  # noqa: E402

FREQ = 4000
# Kernel functions whose share (with what they call) each run prints:
# sock_wfree frees a sent datagram and wakes whoever waits on its socket;
# an epoll set polling the socket is woken per reply (ep_poll_callback,
# whose time cpu-clock samples show in the irq-restoring unlock after it).
WATCH = ("sock_wfree",)


def per_query(data, queries):
    """{object: microseconds of CPU per query} from a perf.data file."""
    out = subprocess.run(["perf", "report", "-i", data, "--no-children", "--stdio",
                          "--sort", "dso", "-F", "sample,dso"],
                         capture_output=True, text=True).stdout
    usage = {}
    for line in out.splitlines():
        m = re.match(r"\s+(\d+)\s+(\S+)", line)
        if m:
            usage[m.group(2)] = int(m.group(1)) / FREQ / queries * 1e6
    return usage


def shares(data):
    """{function: share of the samples in it and what it calls} for WATCH."""
    out = subprocess.run(["perf", "report", "-i", data, "--children", "--stdio",
                          "--sort", "sym", "-g", "none"],
                         capture_output=True, text=True).stdout
    found = {}
    for line in out.splitlines():
        m = re.match(r"\s+([\d.]+)%\s+[\d.]+%\s+\[k\]\s+(\S+)\s*$", line)
        if m and m.group(2) in WATCH:
            found[m.group(2)] = float(m.group(1))
    return found


def main():
    seconds, targets, extra = hit_targets.parse_args(__doc__)
    outdir, hot, servers, order = hit_targets.start("profile-ab", targets, extra)
    try:
        for run_no, name in enumerate(order):
            proc, addr, r = servers[name]
            data = os.path.join(outdir, f"{run_no}-{name}.data")
            batches = bench.udp_batches(r) if r is not None else None
            out = subprocess.run(["perf", "record", "-q", "-e", "cpu-clock", "-F", str(FREQ),
                                  "-g", "-p", str(proc.pid), "-o", data, "--",
                                  *hit_targets.dnsperf(addr, hot, seconds, extra)],
                                 capture_output=True, text=True).stdout
            m = re.search(r"Queries completed:\s+(\d+)", out)
            queries = int(m.group(1)) if m else 0
            if not queries:
                print(f"{name}: no queries completed")
                continue
            usage = per_query(data, queries)
            total = sum(usage.values())
            # The CPU per query falls as batches grow (whoever falls behind).
            if batches is not None:
                batches = bench.udp_batches(r, batches)
            load = open("/proc/loadavg").read().split()[0]
            print(f"{name:10} {queries / seconds:8.0f} q/s  {total:6.3f} us/q: " +
                  ", ".join(f"{obj} {us:.3f}" for obj, us in
                            sorted(usage.items(), key=lambda kv: -kv[1])) +
                  f"  (load {load}); " +
                  (f"{batches.split(' (')[0]}; " if batches else "") +
                  ", ".join(f"{fn} {pct:.2f}% {pct / 100 * total:.3f} us/q"
                            for fn, pct in shares(data).items()), flush=True)
    finally:
        hit_targets.stop(servers)


if __name__ == "__main__":
    main()
