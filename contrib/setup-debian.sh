#!/bin/sh
# setup-debian.sh: installs everything descend needs to build and test, from
# Debian 12 packages. Idempotent and non-interactive; run as root.
set -eu

PACKAGES="build-essential autoconf automake libtool pkg-config
	libuv1-dev libldns-dev libssl-dev libbsd-dev libmicrohttpd-dev dns-root-data
	libfstrm-dev libprotobuf-c-dev protobuf-c-compiler dnstap-ldns fstrm-bin
	nsd ldnsutils bind9-dnsutils python3 python3-dnspython python3-pytest
	python3-cryptography python3-seccomp dnsperf unbound knot-resolver dnsdist clang libclang-rt-14-dev
	valgrind graphviz linux-perf
	iproute2 procps util-linux
	mandoc debhelper dpkg-dev lintian adduser"

missing=""
for p in $PACKAGES; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
	    missing="$missing $p"
done
if [ -z "$missing" ]; then
	echo "setup-debian: all packages present"
	exit 0
fi
if [ "$(id -u)" != 0 ]; then
	echo "setup-debian: missing:$missing; run as root to install them" >&2
	exit 1
fi
echo "setup-debian: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
# Packaged servers (nsd, unbound, dnsdist) must not start on install: the
# lab and the benchmarks start their own on loopback addresses.
own_policy=no
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
	chmod +x /usr/sbin/policy-rc.d
	own_policy=yes
fi
trap '[ "$own_policy" = yes ] && rm -f /usr/sbin/policy-rc.d' EXIT
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
echo "setup-debian: done"
