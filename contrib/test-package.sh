#!/bin/bash
# test-package.sh: the Debian package end to end: builds it from a copy of
# the tree (dpkg-buildpackage -us -uc -b; the tree stays clean), runs
# lintian (errors fail), installs it with dpkg -i (services are not started:
# policy-rc.d), starts the installed descendd directly in a private network
# namespace against the lab, queries it, checks that it runs as the user
# descend with no capabilities and reloads, then purges the package.
# Ends with "package: N passed, N failed". Usage (as root):
#   contrib/test-package.sh [WORKDIR]     (default: _build/package)
set -u
SRC=$(cd "$(dirname "$0")/.." && pwd)
WORK=${1:-$SRC/_build/package}
JOBS=$(nproc 2>/dev/null || echo 2)
passed=0
failed=0
check() {	# description command...
	local what=$1
	shift
	if "$@" >> "$WORK/steps.log" 2>&1; then
		echo "package: ok      $what"
		passed=$((passed + 1))
	else
		echo "package: FAILED  $what (see $WORK/steps.log)"
		failed=$((failed + 1))
	fi
}
finish() {
	echo "package: $passed passed, $failed failed"
	[ "$failed" = 0 ]
	exit
}

[ "$(id -u)" = 0 ] || { echo "package: run as root" >&2; exit 2; }
rm -rf "$WORK"
mkdir -p "$WORK/src/descend"
: > "$WORK/steps.log"
start=$(date +%s)

# A copy of the tree: what git tracks plus new files, never build outputs.
copy_tree() {
	if [ -e "$SRC/.git" ]; then
		(cd "$SRC" && git ls-files -z -co --exclude-standard |
		    tar --null -T - -cf -) | tar -C "$WORK/src/descend" -xf -
	else
		tar -C "$SRC" --exclude=./_build -cf - . |
		    tar -C "$WORK/src/descend" -xf -
	fi
}
check "copy of the tree" copy_tree
build() {
	cd "$WORK/src/descend" &&
	    DEB_BUILD_OPTIONS="nocheck parallel=$JOBS" dpkg-buildpackage -us -uc -b
}
check "dpkg-buildpackage -us -uc -b" build
deb=$(ls "$WORK"/src/descend_*.deb 2>/dev/null | grep -v dbgsym | head -1)
[ -n "$deb" ] || finish
lintian_clean() {
	lintian --fail-on error "$WORK"/src/descend_*.changes > "$WORK/lintian.log" 2>&1
	local rc=$?
	cat "$WORK/lintian.log"
	return $rc
}
check "lintian: no errors" lintian_clean
sed 's/^/package: lintian: /' "$WORK/lintian.log" | grep -v 'running with root'

# Install without starting services (a policy-rc.d of our own, as
# setup-debian.sh does for nsd and unbound).
had_user=no
getent passwd descend > /dev/null && had_user=yes
own_policy=no
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
	chmod +x /usr/sbin/policy-rc.d
	own_policy=yes
fi
cleanup() {
	dpkg --purge descend > /dev/null 2>&1
	[ "$had_user" = no ] && getent passwd descend > /dev/null &&
	    deluser --system --quiet descend > /dev/null 2>&1
	[ "$own_policy" = yes ] && rm -f /usr/sbin/policy-rc.d
}
trap cleanup EXIT
check "dpkg -i $(basename "$deb")" dpkg -i "$deb"
check "postinst created the system user descend" getent passwd descend
check "conffile /etc/descend/descendd.conf" \
    sh -c 'dpkg-query -W -f="\${Conffiles}" descend | grep -q /etc/descend/descendd.conf'
check "man pages installed" test -f /usr/share/man/man8/descendd.8.gz -a \
    -f /usr/share/man/man5/descendd.conf.5.gz -a -f /usr/share/man/man1/descend.1.gz
check "systemd unit installed" grep -q '^ExecStart=/usr/sbin/descendd ' \
    /lib/systemd/system/descendd.service
check "descendd -t accepts the installed configuration" \
    /usr/sbin/descendd -t -c /etc/descend/descendd.conf

# The installed daemon against the lab, in a namespace of its own: detached
# (no -d), as the user descend; the conffile is included as it is.
run=$(mktemp -d /tmp/descend-package.XXXXXX)
chmod 755 "$run"
cat > "$run/run.sh" <<'RUN'
set -u
run=$1
LAB_DIR=$run/lab
export LAB_DIR
"$2/contrib/lab/lab" start > "$run/lab.log" 2>&1 || { echo "lab did not start"; exit 1; }
install -m 644 "$LAB_DIR/root.hints" "$run/root.hints"
# The lab's root is signed with its own keys: validate with its anchor, not
# Debian's (every lab answer would be bogus under the real root's).
install -m 644 "$LAB_DIR/root.key" "$run/root.key"
cat > "$run/descendd.conf" <<CONF
include: /etc/descend/descendd.conf
listen: 127.77.100.1@53
root-hints: $run/root.hints
trust-anchor-file: $run/root.key
query-loopback: yes
threads: 2
control-socket: $run/run/control.sock
pidfile: $run/run/descendd.pid
CONF
chmod 644 "$run/descendd.conf"
rc=0
if /usr/sbin/descendd -c "$run/descendd.conf"; then
	for _ in $(seq 50); do [ -S "$run/run/control.sock" ] && break; sleep 0.1; done
	pid=$(cat "$run/run/descendd.pid")
	answer=$(dig +short +time=3 @127.77.100.1 www.example.com A)
	echo "answer: $answer"
	[ "$answer" = 192.0.2.10 ] || rc=1
	# validated with the lab's anchor: a secure name gets AD
	flags=$(dig +dnssec +time=3 @127.77.100.1 www.secure.com A | grep -o 'flags:[^;]*')
	echo "secure: $flags"
	case $flags in *" ad"*) ;; *) rc=1 ;; esac
	uid=$(awk '/^Uid:/ {print $2}' /proc/"$pid"/status)
	capeff=$(awk '/^CapEff:/ {print $2}' /proc/"$pid"/status)
	echo "uid $uid (descend: $(id -u descend)), CapEff $capeff"
	[ "$uid" = "$(id -u descend)" ] && [ "$capeff" = 0000000000000000 ] || rc=1
	reload=$(/usr/bin/descend control -s "$run/run/control.sock" reload)
	echo "reload: $reload"
	[ "$reload" = ok ] || rc=1
	/usr/bin/descend control -s "$run/run/control.sock" stats | grep '^queries='
	kill "$pid"
	for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
else
	rc=1
fi
"$2/contrib/lab/lab" stop > /dev/null 2>&1
exit $rc
RUN
check "installed descendd answers from the lab (secure with AD), runs as descend, CapEff 0, reloads" \
    "$SRC/contrib/netns-run" bash "$run/run.sh" "$run" "$SRC"
grep -E '^(answer|secure|uid|reload|queries)' "$WORK/steps.log" | tail -5 | sed 's/^/package: /'
rm -rf "$run"

check "dpkg --purge descend" dpkg --purge descend
check "purged: no binaries, no /etc/descend" \
    sh -c '! test -e /usr/sbin/descendd && ! test -e /etc/descend'
echo "package: $(( $(date +%s) - start )) s"
finish
