#!/bin/bash
# hit-instructions.sh: user-space instructions per cache hit of descendd,
# counted by callgrind: deterministic where timing is not (this machine
# has no hardware counters, and two shared cores make CPU time too noisy
# for differences of a few per cent). Starts the lab and one descendd
# (profile-hits.sh's configuration, one thread) under
# `valgrind --tool=callgrind --instr-atstart=no`, resolves the 1000 names
# of bench.py's write_names once (plain and with DO) and asks each once
# more uncounted, then per mode switches instrumentation on, has
# contrib/bench/hit_client ask QUERIES cache hits in bursts of BURST (one
# sendmmsg, then every reply awaited: the daemon reads the same batches
# on every run), dumps the counts and switches off. Start-up, warm-up and
# the other mode are never counted. Prints per mode the instructions (Ir)
# per hit by object (descendd, libc, libuv...) and the top functions, and
# the daemon's recvmmsg batches (udp.recv_batches) over the counted run.
# The kernel's work is not in these counts (profile-hits.sh shows it).
# Usage (as root, inside contrib/netns-run, LAB_DIR set):
#   contrib/bench/hit-instructions.sh BUILD_DIR [QUERIES [BURST]]
# (defaults 20000 and 8: bench.py's hit runs saw 7.3 datagrams a read).
# The callgrind.out files stay in $LAB_DIR/hit-instructions/ for
# callgrind_annotate. HIT_CLIENT=PATH takes hit_client from another build
# (one older than hit_client itself).
set -eu
BUILD=$(cd "$1" && pwd)
QUERIES=${2:-20000}
BURST=${3:-8}
SRC=$(cd "$(dirname "$0")/../.." && pwd)
LAB_DIR=${LAB_DIR:-/tmp/descend-lab}
export LAB_DIR
WORK=$LAB_DIR/hit-instructions
ADDR=127.77.100.2
NAMES=1000
# HIT_CLIENT: another build's client, for a build older than hit_client.
CLIENT=${HIT_CLIENT:-$BUILD/contrib/bench/hit_client}
CONTROL="$BUILD/trace/descend control -s $WORK/control.sock"
rm -rf "$WORK"
mkdir -p "$WORK"
. "$SRC/contrib/bench/hit-lab.sh"
valgrind --tool=callgrind --instr-atstart=no \
    --callgrind-out-file="$WORK/callgrind.out" \
    "$BUILD/resolver/daemon/descendd" -d -c "$WORK/conf" \
    2>"$WORK/stderr" >/dev/null &
pid=$!
for _ in $(seq 300); do
	dig +short +time=1 +tries=1 @$ADDR localhost >/dev/null 2>&1 && break
	sleep 0.2
done
for mode in plain do; do
	flag=; [ $mode = do ] && flag=-D
	dnsperf -s $ADDR -d "$WORK/hot.txt" -n 1 -c 1 -q 10 -t 30 $flag \
	    >"$WORK/warm-$mode.out"
	"$CLIENT" $ADDR 53 $NAMES "$BURST" $NAMES ${mode/plain/} \
	    >"$WORK/prepass-$mode.out"
done
batches() {
	$CONTROL stats | sed -n 's/^udp\.recv_batches[:=] *//p'
}
echo "# descendd under callgrind, 1 thread; $QUERIES cache hits per mode" \
    "in bursts of $BURST (contrib/bench/hit_client), $NAMES names"
echo "# $(git -C "$SRC" describe --always --dirty 2>/dev/null)," \
    "build $BUILD"
for mode in plain do; do
	before=$(batches)
	callgrind_control -i on $pid >/dev/null 2>&1
	"$CLIENT" $ADDR 53 "$QUERIES" "$BURST" $NAMES ${mode/plain/} \
	    >"$WORK/client-$mode.out"
	callgrind_control -d $mode $pid >/dev/null 2>&1
	callgrind_control -i off $pid >/dev/null 2>&1
	after=$(batches)
	out=$(ls -t "$WORK"/callgrind.out.* | head -1)
	mv "$out" "$WORK/callgrind.out.$mode"
	callgrind_annotate --inclusive=no --threshold=100 --auto=no \
	    "$WORK/callgrind.out.$mode" >"$WORK/annotate-$mode.txt"
	echo
	echo "## $mode: $(cat "$WORK/client-$mode.out");" \
	    "recvmmsg batches $((after - before))"
	# Lines "  1,234 (12.34%)  file:function [object]": sums by
	# object (PROGRAM TOTALS is not the dump's after a dump before it).
	# Code inlined from another file (a header) has a line of its own,
	# "file.h:function" without the object: it counts for its function,
	# whose object is named on the function's other line.
	awk -v q="$QUERIES" '
	    /Auto-annotated source/ { done = 1 }
	    !done && /^ *[0-9,]+ +\([ 0-9.]+%\) +[^ ]+:[^ ]/ {
		ir = $1; gsub(",", "", ir)
		fn = $0; sub(/^ *[0-9,]+ +\([ 0-9.]+%\) +/, "", fn)
		obj = ""
		if (fn ~ / \[/) {
			obj = fn; sub(/.* \[/, "", obj); sub(/\].*/, "", obj)
			sub(/.*\//, "", obj); sub(/\.so.*/, "", obj)
		}
		sub(/ \[.*/, "", fn); sub(/^.*:/, "", fn)
		if (fn == "PROGRAM TOTALS" || fn == "") next
		if (obj != "") objof[fn] = obj
		self[fn] += ir
		if (!(fn in seen)) { seen[fn] = 1; order[nfn++] = fn }
		total += ir
	    }
	    END {
		for (i = 0; i < nfn; i++) {
			fn = order[i]; obj = (fn in objof) ? objof[fn] : "?"
			byobj[obj] += self[fn]
		}
		printf "Ir per hit: %.1f\n", total / q
		printf "### by object\n"
		for (o in byobj) printf "    %8.1f  %s\n", byobj[o] / q, o | "sort -rn"
		close("sort -rn")
		printf "### top functions (self, with what is inlined into them)\n"
		for (i = 0; i < nfn; i++) {
			fn = order[i]
			printf "    %8.1f  %s (%s)\n", self[fn] / q, fn, (fn in objof) ? objof[fn] : "?" | "sort -rn | head -15"
		}
		close("sort -rn | head -15")
	    }' "$WORK/annotate-$mode.txt"
done
