#!/bin/bash
# fuzz.sh: builds the libFuzzer targets with clang (ASan+UBSan) and runs
# each for SECONDS (default 60). New crashing inputs land in
# tests/fuzz/corpus/TARGET/ : fix the bug, keep the input (make check
# replays it from then on). Usage: contrib/fuzz.sh [SECONDS] [TARGET...]
set -u
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$SRC/_build/fuzz
SECONDS_EACH=${1:-60}
shift || true
TARGETS=${*:-reply query config dnssec}
JOBS=$(nproc 2>/dev/null || echo 2)
# UBSan's reports stop the run like a crash (by default it prints and goes
# on, and the run passes); an input that takes over 10 s is a failure too
# (libFuzzer's default is 1200 s: a hang would have held CI to its end).
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

[ -x "$SRC/configure" ] || (cd "$SRC" && ./autogen.sh >/dev/null)
mkdir -p "$BUILD"
if [ ! -f "$BUILD/Makefile" ]; then
	(cd "$BUILD" && "$SRC/configure" -q --enable-fuzzing CC=clang \
	    CFLAGS="-g -O1 -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer") ||
	    { echo "fuzz: configure failed" >&2; exit 1; }
fi
(cd "$BUILD" && make -s -j"$JOBS") || { echo "fuzz: build failed" >&2; exit 1; }
rc=0
for t in $TARGETS; do
	work=$BUILD/corpus-$t
	mkdir -p "$work"
	cp -n "$SRC/tests/fuzz/corpus/$t"/* "$work"/ 2>/dev/null
	echo "fuzz: $t for ${SECONDS_EACH}s"
	if ! "$BUILD/tests/fuzz/fuzz_$t" -max_total_time="$SECONDS_EACH" \
	    -max_len=4096 -timeout=10 \
	    -artifact_prefix="$SRC/tests/fuzz/corpus/$t/" \
	    -print_final_stats=1 "$work" >"$BUILD/fuzz-$t.log" 2>&1; then
		echo "fuzz: $t FAILED, see $BUILD/fuzz-$t.log"; tail -30 "$BUILD/fuzz-$t.log"; rc=1
	else
		grep -E "stat::number_of_executed_units|cov:" "$BUILD/fuzz-$t.log" | tail -2
	fi
done
exit $rc
