#!/bin/sh
# check-docs.sh: the man pages document everything the programs accept: every
# key the configuration reader knows (resolver/daemon/*.c) is in
# descendd.conf(5) and every key documented there is one descendd knows;
# every option of descend (trace/) is in descend(1), every control command
# too; every option of descendd is in descendd(8); mandoc -Tlint is clean.
# TAP; run by make check. A key or an option added without its
# documentation fails here.
srcdir=${srcdir:-.}
builddir=${builddir:-.}
DESCENDD=$builddir/resolver/daemon/descendd
CONF5=$srcdir/resolver/daemon/descendd.conf.5
MAN8=$srcdir/resolver/daemon/descendd.8
MAN1=$srcdir/trace/descend.1
n=0
failed=0
ok() {	# condition-status description
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		failed=$((failed + 1))
	fi
}
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

# The configuration reader compares each key with strcmp(key, "NAME").
code_keys=$(cat "$srcdir"/resolver/daemon/*.c |
    grep -o 'strcmp(key, "[a-z0-9-]*")' | sed 's/.*"\(.*\)".*/\1/' | sort -u)
man_keys=$(grep '^\.It Ic [a-z]' "$CONF5" | awk '{print $3}' | sort -u)
[ -n "$code_keys" ]; ok $? "config keys found in resolver/daemon/*.c"
for key in $code_keys; do
	echo "$man_keys" | grep -qx -- "$key"
	ok $? "config key '$key' is documented in descendd.conf.5"
done
# The other way: a documented key descendd does not know is a stale page.
for key in $man_keys; do
	printf '%s: x\n' "$key" > "$tmp/one.conf"
	"$DESCENDD" -t -c "$tmp/one.conf" > /dev/null 2> "$tmp/err"
	! grep -q "unknown key '$key'" "$tmp/err"
	ok $? "documented key '$key' is one descendd knows"
done

# descend: long options ({ "name", ..._argument) and getopt letters.
long_opts=$(cat "$srcdir"/trace/*.c "$srcdir"/trace/*.h |
    grep -o '{ "[a-z0-9-]*", *[a-z]*_argument' |
    sed 's/{ "\([^"]*\)".*/\1/' | sort -u)
short_opts=$(cat "$srcdir"/trace/*.c | grep -o 'getopt[_a-z]*(argc, argv, "[^"]*"' |
    sed 's/.*"\(.*\)"/\1/' | tr -d ':' | fold -w1 | sort -u)
[ -n "$long_opts" ] && [ -n "$short_opts" ]
ok $? "descend's options found in trace/"
for opt in $long_opts; do
	grep -q -- "Fl -$opt\\b" "$MAN1"
	ok $? "descend --$opt is documented in descend.1"
done
for opt in $short_opts; do
	grep -q -- "Fl $opt\\b" "$MAN1"
	ok $? "descend -$opt is documented in descend.1"
done
commands=$(sed -n '/commands\[\] = {/,/};/p' "$srcdir/trace/control_client.c" |
    grep -o '"[a-z-]*"' | tr -d '"')
[ -n "$commands" ]; ok $? "control commands found in trace/control_client.c"
for cmd in $commands; do
	grep -q -- "^\\.Cm $cmd\\b" "$MAN1"
	ok $? "descend control $cmd is documented in descend.1"
done

# descendd's getopt letters.
for opt in $(grep -o 'getopt(argc, argv, "[^"]*"' "$srcdir/resolver/daemon/descendd.c" |
    sed 's/.*"\(.*\)"/\1/' | tr -d ':' | fold -w1); do
	grep -q -- "Fl $opt\\b" "$MAN8"
	ok $? "descendd -$opt is documented in descendd.8"
done

# mandoc -Tlint with every warning; side by side in one directory, so
# that their .Xr references to each other resolve.
if command -v mandoc > /dev/null; then
	cp "$MAN1" "$MAN8" "$CONF5" "$tmp/"
	(cd "$tmp" && mandoc -Tlint -Wall descend.1 descendd.8 descendd.conf.5) \
	    > "$tmp/lint" 2>&1
	st=$?
	[ -s "$tmp/lint" ] && sed 's/^/# /' "$tmp/lint"
	ok "$st" "mandoc -Tlint -Wall is clean"
else
	n=$((n + 1)); echo "ok $n - # SKIP mandoc not installed (Debian: mandoc)"
fi
echo "1..$n"
[ "$failed" = 0 ]
