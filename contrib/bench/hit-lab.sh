# hit-lab.sh: the set-up profile-hits.sh and hit-instructions.sh share,
# sourced with SRC, LAB_DIR, WORK, ADDR and NAMES set: starts the lab (and
# stops it, and descendd once $pid is set, on exit), writes $WORK/hot.txt
# (bench.py's write_names: NAMES names) and $WORK/conf (bench.py's
# descendd: one thread, no prefetch, validating).
"$SRC/contrib/lab/lab" start >/dev/null
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	"$SRC/contrib/lab/lab" stop >/dev/null
}
trap cleanup EXIT
for i in $(seq 0 $((NAMES - 1))); do echo "n$i.wild.example.com A"; done \
    >"$WORK/hot.txt"
cat >"$WORK/conf" <<EOF
listen: $ADDR@53
root-hints: $LAB_DIR/root.hints
query-loopback: yes
threads: 1
control-socket: $WORK/control.sock
cache-size: 384m
log-level: warning
prefetch: no
username: ""
trust-anchor-file: $LAB_DIR/root.key
EOF
