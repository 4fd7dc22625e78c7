"""hit_targets.py: what profile-ab.py and hit-syscalls.py share: their
command line, the servers they compare under bench.py's hit load (descendd
builds, Unbound, the echo ceiling), each pinned to CPU 0 with bench.py's
1000 cached names, the dnsperf command of one run, and the clean-up.
"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402


class Named(bench.Resolver):
    """bench.py's resolver in a directory of its own (two builds at once)."""

    def __init__(self, tool, name, kind, addr, build):
        super().__init__(kind, addr, build)
        self.dir = os.path.join(bench.WORK, tool, name)
        os.makedirs(self.dir, exist_ok=True)


def parse_args(doc):
    """(seconds, targets, dnsperf options) from the command line, or the
    usage in `doc` and an exit."""
    args = sys.argv[1:]
    extra = args[args.index("--") + 1:] if "--" in args else []
    args = args[:args.index("--")] if "--" in args else args
    if len(args) < 2 or not args[0].isdigit():
        sys.exit(doc)
    return int(args[0]), args[1:], extra


def start(tool, targets, extra):
    """Starts the lab and each target once (NAME=descend:BUILD_DIR,
    NAME=unbound, NAME=echo), warmed with the hot names and pinned to
    CPU 0. Returns (outdir, hot names file, {name: (process, address,
    descendd Resolver or None)}, run order: names as given, repeats
    included). The servers started so far are stopped on an error."""
    outdir = os.path.join(bench.WORK, tool)
    os.makedirs(outdir, exist_ok=True)
    subprocess.run([bench.LAB, "start"], check=True, stdout=subprocess.DEVNULL)
    hot = os.path.join(outdir, "hot.txt")
    bench.write_names(hot, 1000)
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
                r = Named(tool, name, kind, addr,
                          os.path.abspath(build) if build else None).start()
                bench.warm(addr, hot, extra)
                servers[name] = (r.proc, addr, r if kind == "descend" else None)
            else:
                sys.exit(f"unknown target {target}")
            subprocess.run(["taskset", "-a", "-p", "-c", "0", str(servers[name][0].pid)],
                           capture_output=True)
    except BaseException:
        stop(servers)
        raise
    return outdir, hot, servers, order


def dnsperf(addr, hot, seconds, extra):
    """bench.py's hit load for one run, on CPU 1, as a command line."""
    return ["taskset", "-c", "1", "dnsperf", "-s", addr, "-d", hot, "-l", str(seconds),
            "-c", "20", "-q", "500", "-t", "2", *extra]


def stop(servers):
    """Stops every target and the lab."""
    for proc, _, _ in servers.values():
        proc.terminate()
        proc.wait()
    subprocess.run([bench.LAB, "stop"], stdout=subprocess.DEVNULL)
