#!/bin/sh
# Install the Debian packages ha-wizard's local lab and its tests need (idempotent, non-interactive).
#   sudo scripts/install-deps.sh          install what is missing (apt-get update once, only if needed)
#   scripts/install-deps.sh --check       list what is missing; exit 1 if anything is (no root needed)
# Used by the README, .ci/run and the tests. Debian 12 (bookworm) or a derivative.
set -eu

PACKAGES="openssh-server openssh-client haproxy corosync pacemaker pacemaker-cli-utils pcs resource-agents
libxml2-utils net-tools php-cli
apache2-utils siege socat sudo ifupdown iproute2 procps psmisc curl iputils-ping util-linux strace ruby"

missing=""
for pkg in $PACKAGES; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
    [ "$status" = "installed" ] || missing="$missing $pkg"
done

if [ "${1:-}" = "--check" ]; then
    if [ -n "$missing" ]; then
        echo "missing:$missing"
        exit 1
    fi
    echo "all lab packages installed"
    exit 0
fi

if [ -z "$missing" ]; then
    echo "install-deps: all lab packages already installed"
    exit 0
fi
if [ "$(id -u)" != 0 ]; then
    echo "install-deps: missing:$missing; run as root (sudo $0)" >&2
    exit 2
fi
export DEBIAN_FRONTEND=noninteractive
echo "install-deps: installing$missing"
apt-get update -q
# Debian's maintainer scripts would start sshd, haproxy, pcsd... on this machine; the lab starts its
# own inside its hosts, so forbid service starts during the install (policy-rc.d exit 101), unless the
# machine already has a policy of its own.
policy=""
if [ ! -e /usr/sbin/policy-rc.d ]; then
    policy=/usr/sbin/policy-rc.d
    printf '#!/bin/sh\nexit 101\n' > "$policy"
    chmod 755 "$policy"
    trap 'rm -f "$policy"' EXIT
fi
# shellcheck disable=SC2086 # the list is words on purpose
apt-get install -y -q --no-install-recommends $missing
echo "install-deps: done"
