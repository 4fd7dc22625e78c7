#!/bin/bash
# profile-hits.sh: where descendd's CPU goes on cache hits. Starts the lab
# and one descendd (bench.py's configuration, one thread, pinned to CPU 0),
# resolves 1000 names once, then records descendd with `perf record -g`
# (the cpu-clock software event: this machine has no hardware counters)
# while dnsperf on CPU 1 asks those names again, and prints the report
# sorted by self time. See contrib/bench/profiles/README.md.
# Usage (as root, inside contrib/netns-run, LAB_DIR set):
#   contrib/bench/profile-hits.sh BUILD_DIR SECONDS [dnsperf options, e.g. -D]
set -eu
BUILD=$(cd "$1" && pwd)
SECONDS_=$2
shift 2
SRC=$(cd "$(dirname "$0")/../.." && pwd)
LAB_DIR=${LAB_DIR:-/tmp/descend-lab}
export LAB_DIR
WORK=$LAB_DIR/profile
ADDR=127.77.100.2
mkdir -p "$WORK"
NAMES=1000
. "$SRC/contrib/bench/hit-lab.sh"
taskset -c 0 "$BUILD/resolver/daemon/descendd" -d -c "$WORK/conf" \
    2>"$WORK/stderr" >/dev/null &
pid=$!
for _ in $(seq 50); do
	dig +short +time=1 +tries=1 @$ADDR localhost >/dev/null 2>&1 && break
	sleep 0.1
done
dnsperf -s $ADDR -d "$WORK/hot.txt" -n 1 -c 1 -q 10 -t 5 "$@" >/dev/null
taskset -c 1 dnsperf -s $ADDR -d "$WORK/hot.txt" -l $((SECONDS_ + 2)) \
    -c 20 -q 500 -t 2 "$@" >"$WORK/dnsperf.out" &
perf_load=$!
sleep 1
perf record -q -e cpu-clock -F 2000 -g -p "$pid" -o "$WORK/perf.data" \
    -- sleep "$SECONDS_" 2>/dev/null
wait "$perf_load"
echo "# descendd (1 thread, CPU 0) under dnsperf ${*:-} on CPU 1: $(grep -E "Queries per second" "$WORK/dnsperf.out" | tr -s ' ')"
echo "# perf record -e cpu-clock -F 2000 -g -p PID -- sleep $SECONDS_; $(uptime)"
echo "## CPU by object (self)"
perf report -i "$WORK/perf.data" --no-children --stdio --sort dso 2>/dev/null |
    grep -E '^ +[0-9.]+%'
# Shares hide how much: microseconds a query, from the samples (2000 a
# CPU-second) over the queries of the recorded seconds (dnsperf's rate).
qps=$(sed -n 's/.*Queries per second: *\([0-9.]*\).*/\1/p' "$WORK/dnsperf.out")
echo "## CPU per query by object (us; $qps queries/s over $SECONDS_ s)"
perf report -i "$WORK/perf.data" --no-children --stdio --sort dso \
    -F sample,dso 2>/dev/null | grep -E '^ +[0-9]' |
    awk -v q="$qps" -v s="$SECONDS_" '{ n = $1; $1 = ""; t += n;
        printf "    %6.3f %s\n", n / 2000 / (q * s) * 1e6, $0 }
        END { printf "    %6.3f total\n", t / 2000 / (q * s) * 1e6 }'
echo "## symbols by self time (>= 0.3 %)"
perf report -i "$WORK/perf.data" --no-children --stdio -g none \
    --percent-limit 0.3 --sort dso,symbol 2>/dev/null | grep -E '^ +[0-9]' |
    sed 's/ *- *- *$//'
echo "## descendd's own code and libc by self time (>= 0.05 %)"
perf report -i "$WORK/perf.data" --no-children --stdio -g none \
    --percent-limit 0.05 --sort dso,symbol 2>/dev/null | grep -E '^ +[0-9]' |
    grep -v '\[k\]' | sed 's/ *- *- *$//'
echo "## the syscalls' share (children included)"
perf report -i "$WORK/perf.data" --children --stdio -g none --sort symbol \
    2>/dev/null | grep -E '\] (__sendmmsg|sendmsg|syscall|epoll_wait|recvmmsg|__recvmmsg|__libc_recvmsg|recvmsg|__GI___sendmmsg)' |
    sed 's/ *- *- *$//'
