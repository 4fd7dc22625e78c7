#!/bin/bash
# demo.sh: the README's first command. Sets up and builds descend, starts
# the offline lab and descendd on it, resolves a few names (cold, then
# cached), shows a secure and a bogus answer, traces a sub-delegation, and
# stops everything it started.
set -eu

SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$SRC/_build/demo
LAB_DIR=${LAB_DIR:-/tmp/descend-lab}
export LAB_DIR
ADDR=127.77.100.1
RUN=$LAB_DIR/demo

"$SRC/contrib/setup-debian.sh"
(cd "$SRC" && ./autogen.sh >/dev/null)
mkdir -p "$BUILD"
(cd "$BUILD" && "$SRC/configure" -q && make -s -j"$(nproc)")

cleanup() {
	[ -f "$RUN/descendd.pid" ] && kill "$(cat "$RUN/descendd.pid")" 2>/dev/null
	"$SRC/contrib/lab/lab" stop
}
trap cleanup EXIT
"$SRC/contrib/lab/lab" start
mkdir -p "$RUN"
cat > "$RUN/descendd.conf" <<CONF
listen: $ADDR@53
root-hints: $LAB_DIR/root.hints
query-loopback: yes
threads: 1
control-socket: $RUN/control.sock
pidfile: $RUN/descendd.pid
username: ""
CONF
# The lab's own root trust anchor: Debian's real one would make the lab bogus.
if [ -f "$LAB_DIR/root.key" ]; then
	echo "trust-anchor-file: $LAB_DIR/root.key" >> "$RUN/descendd.conf"
	ANCHOR_ARGS="--trust-anchor $LAB_DIR/root.key"
else
	echo "dnssec-validation: no" >> "$RUN/descendd.conf"
	ANCHOR_ARGS="--no-dnssec"
fi
"$BUILD/resolver/daemon/descendd" -c "$RUN/descendd.conf"
for _ in $(seq 50); do [ -S "$RUN/control.sock" ] && break; sleep 0.1; done

for name in www.example.com www.dev.example.com www.glueless.org alias.example.com; do
	echo "== $name (cold)"
	dig +noall +answer +stats @"$ADDR" "$name" | grep -v '^;; \(SERVER\|WHEN\|MSG\)'
done
echo "== www.example.com again (cached: no upstream query, TTL counting down)"
sleep 1
dig +noall +answer +stats @"$ADDR" www.example.com | grep -v '^;; \(SERVER\|WHEN\|MSG\)'
"$BUILD/trace/descend" control -s "$RUN/control.sock" stats |
    grep -E '^(queries|cache.hits|cache.misses|upstream.queries)='
# DNSSEC: the lab signs secure.com; badsig.com's signatures are broken.
echo "== www.secure.com with DO: validated, so the answer has the AD flag"
dig +dnssec +noall +comments +answer @"$ADDR" www.secure.com |
    grep -E 'flags:|IN[[:space:]]+(A|RRSIG)[[:space:]]' || true
echo "== www.badsig.com: a broken signature, so SERVFAIL with the reason (EDE)"
dig +dnssec +noall +comments @"$ADDR" www.badsig.com | grep -E 'status:|EDE' || true
echo "== descend query: the verdict, like delv"
for name in www.secure.com www.insecure.com www.badsig.com; do
	"$BUILD/trace/descend" query $ANCHOR_ARGS --root-hints "$LAB_DIR/root.hints" \
	    "$name" | grep -E '^;; DNSSEC' || true
done
echo "== descend trace www.dev.example.com"
"$BUILD/trace/descend" trace $ANCHOR_ARGS --root-hints "$LAB_DIR/root.hints" www.dev.example.com || true
