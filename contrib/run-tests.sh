#!/bin/bash
# run-tests.sh: the whole test suite from a fresh clone: installs the Debian
# packages, builds twice (-Werror, then ASan+UBSan), runs the unit tests
# (make check), the system tests against the offline lab and the 60-second
# load-and-faults test (tests/load/faults.py) in each build, then builds with
# ThreadSanitizer and runs the daemon's system tests (a hundred reloads under
# load among them) in it, and ends with "N passed, N failed".
# Usage: contrib/run-tests.sh
#   [--no-sanitizers] [--no-tsan] [--no-distcheck] [--no-package]
#   (as root: the lab binds port 53; the package stage installs and purges
#   the descend .deb, contrib/test-package.sh)
set -u

SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD_ROOT=${BUILD_ROOT:-$SRC/_build}
JOBS=$(nproc 2>/dev/null || echo 2)
PYTHON=/usr/bin/python3
variants="werror sanitizers"
distcheck=yes
package=yes
tsan=yes
for arg in "$@"; do
	case $arg in
	--no-sanitizers)	variants="werror" ;;
	--no-tsan)		tsan=no ;;
	--no-distcheck)		distcheck=no ;;
	--no-package)		package=no ;;
	*)	echo "usage: $0 [--no-sanitizers] [--no-tsan] [--no-distcheck] [--no-package]" >&2; exit 2 ;;
	esac
done

passed=0
failed=0
count() {	# label passed failed
	echo "run-tests: $1: $2 passed, $3 failed"
	passed=$((passed + $2))
	failed=$((failed + $3))
}
count_pytest() {	# label log: counts pytest's summary line (its last)
	local summary p f
	summary=$(tail -1 "$2")
	p=$(echo "$summary" | grep -o '[0-9]* passed' | awk '{print $1+0}')
	f=$(echo "$summary" | grep -o '[0-9]* \(failed\|error\|errors\)' | awk '{s+=$1} END {print s+0}')
	p=${p:-0}
	if [ "$p" = 0 ] && [ "$f" = 0 ]; then f=1; fi	# pytest itself broke
	[ "$f" != 0 ] && grep -E '^(FAILED|ERROR)' "$2" | head -40
	count "$1" "$p" "$f"
}

"$SRC/contrib/setup-debian.sh" || { echo "run-tests: setup failed" >&2; exit 1; }
cd "$SRC" && ./autogen.sh >/dev/null || { echo "run-tests: autogen failed" >&2; exit 1; }

for variant in $variants; do
	build=$BUILD_ROOT/$variant
	flags="--enable-werror"
	[ "$variant" = sanitizers ] && flags="$flags --enable-sanitizers"
	echo "run-tests: == $variant build in $build"
	mkdir -p "$build"
	if ! (cd "$build" && "$SRC/configure" -q $flags && make -s -j"$JOBS") \
	    >"$build.build.log" 2>&1; then
		tail -40 "$build.build.log"
		count "$variant build" 0 1
		continue
	fi
	count "$variant build" 1 0
	(cd "$build" && make -s -j"$JOBS" check) >"$build.check.log" 2>&1
	p=$(grep -h '^# PASS:' "$build.check.log" | awk '{s+=$3} END {print s+0}')
	f=$(grep -h -E '^# (FAIL|ERROR|XPASS):' "$build.check.log" | awk '{s+=$3} END {print s+0}')
	if [ "$p" = 0 ] && [ "$f" = 0 ]; then f=1; fi	# make check itself broke
	[ "$f" != 0 ] && { grep -h -E '^(not ok|FAIL|ERROR)' "$build"/tests/*/*.log "$build.check.log" 2>/dev/null | head -40; }
	count "$variant unit tests" "$p" "$f"
	DESCEND_BUILD=$build "$PYTHON" -m pytest -q -p no:cacheprovider \
	    "$SRC/tests/system" >"$build.system.log" 2>&1
	count_pytest "$variant system tests" "$build.system.log"
	sanitized=""
	[ "$variant" = sanitizers ] && sanitized=--sanitized
	"$PYTHON" "$SRC/tests/load/faults.py" --build "$build" $sanitized \
	    >"$build.faults.log" 2>&1
	p=$(tail -1 "$build.faults.log" | grep -o '[0-9]* passed' | awk '{print $1+0}')
	f=$(tail -1 "$build.faults.log" | grep -o '[0-9]* failed' | awk '{print $1+0}')
	p=${p:-0}; f=${f:-0}
	if [ "$p" = 0 ] && [ "$f" = 0 ]; then f=1; fi
	grep '^faults:' "$build.faults.log" | grep -v ' ok  '
	[ "$f" != 0 ] && tail -40 "$build.faults.log"
	count "$variant load and faults" "$p" "$f"
done

# ThreadSanitizer: the daemon's worker threads under reloads and load. Only
# the daemon's tests (test_daemon, test_aggressive's workers sharing the
# NSEC cache, test_udp_listen's batches, test_tcp_listen's connections
# across workers; about three minutes): the engine's
# own threads are the workers'. A race report in descendd's log fails the
# test that caused it (tests/system/conftest.py).
if [ "$tsan" = yes ]; then
	build=$BUILD_ROOT/tsan
	echo "run-tests: == tsan build in $build"
	mkdir -p "$build"
	if (cd "$build" && "$SRC/configure" -q --enable-werror --enable-tsan &&
	    make -s -j"$JOBS") >"$build.build.log" 2>&1; then
		count "tsan build" 1 0
		# The caches' read-mostly locks: lookups, stores, evictions
		# (caches of 2 MiB) and flushes from two threads at once.
		if "$build/contrib/bench/cache_bench" -s 2 -r 1 -n 20000 -c 2 \
		    >"$build.cache_bench.log" 2>&1; then
			count "tsan cache_bench mixed load" 1 0
		else
			grep -A12 'ThreadSanitizer' "$build.cache_bench.log" | head -40
			count "tsan cache_bench mixed load" 0 1
		fi
		# The shard lock and answer hits touching their RRsets while
		# another thread stores and evicts them (test_touch_race); the
		# NSEC cache's shard locks under four workers (test_threads);
		# verify.c's parsed key objects shared by two threads through
		# evictions (test_key_objects_threads).
		for t in test_caches test_nsec_cache test_dnssec_verify; do
			if (cd "$build" && make -s "tests/unit/$t") \
			    >>"$build.build.log" 2>&1 &&
			    "$build/tests/unit/$t" >"$build.$t.log" 2>&1; then
				count "tsan $t" 1 0
			else
				grep -A12 'ThreadSanitizer' "$build.$t.log" | head -40
				count "tsan $t" 0 1
			fi
		done
		DESCEND_BUILD=$build "$PYTHON" -m pytest -q -p no:cacheprovider \
		    "$SRC/tests/system/test_daemon.py" \
		    "$SRC/tests/system/test_aggressive.py" \
		    "$SRC/tests/system/test_udp_listen.py" \
		    "$SRC/tests/system/test_tcp_listen.py" >"$build.system.log" 2>&1
		count_pytest "tsan daemon system tests" "$build.system.log"
	else
		tail -40 "$build.build.log"
		count "tsan build" 0 1
	fi
fi

# A short fuzzing smoke run per target (contrib/fuzz.sh runs longer ones).
if command -v clang >/dev/null; then
	for target in reply query config dnssec; do
		if "$SRC/contrib/fuzz.sh" "${FUZZ_SECONDS:-20}" "$target" \
		    >"$BUILD_ROOT/fuzz-$target.log" 2>&1; then
			count "fuzz $target" 1 0
		else
			tail -30 "$BUILD_ROOT/fuzz-$target.log"
			count "fuzz $target" 0 1
		fi
	done
fi

# The Debian package: built from a copy of the tree, lintian, dpkg -i, the
# installed descendd queried in a namespace of its own, purged (~40 s).
if [ "$package" = yes ]; then
	"$SRC/contrib/test-package.sh" "$BUILD_ROOT/package" \
	    >"$BUILD_ROOT/package.log" 2>&1
	grep '^package:' "$BUILD_ROOT/package.log" | grep -v ' ok  '
	p=$(tail -1 "$BUILD_ROOT/package.log" | grep -o '[0-9]* passed' | awk '{print $1+0}')
	f=$(tail -1 "$BUILD_ROOT/package.log" | grep -o '[0-9]* failed' | awk '{print $1+0}')
	p=${p:-0}; f=${f:-0}
	if [ "$p" = 0 ] && [ "$f" = 0 ]; then f=1; fi
	count "debian package" "$p" "$f"
fi

if [ "$distcheck" = yes ]; then
	build=$BUILD_ROOT/werror
	if (cd "$build" && make -s distcheck) >"$build.distcheck.log" 2>&1; then
		count "distcheck" 1 0
	else
		tail -30 "$build.distcheck.log"
		count "distcheck" 0 1
	fi
fi

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
