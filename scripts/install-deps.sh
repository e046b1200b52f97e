#!/bin/sh
# Install the Debian packages ha-wizard's local lab and its tests need (idempotent, non-interactive), then
# build the lab's Debian 13 guest image (lab/images.py: debootstrap from deb.debian.org, about 2 minutes the
# first time; kept under /var/lib/ha-wizard-lab/images and rebuilt only when its package list changes).
#   sudo scripts/install-deps.sh          install what is missing (apt-get update once, only if needed)
#   scripts/install-deps.sh --check       list what is missing; exit 1 if anything is (no root needed)
# Used by the README, .ci/run and the tests. Debian 12 (bookworm) or a derivative.
set -eu

PACKAGES="openssh-server openssh-client haproxy corosync pacemaker pacemaker-cli-utils pcs resource-agents
libxml2-utils net-tools php-cli
apache2-utils siege socat sudo ifupdown iproute2 procps psmisc curl iputils-ping util-linux strace ruby
debootstrap"
# The guest images the lab tests run on (this machine's own tree is debian12: nothing to build).
IMAGES="debian13"
# The image builder stands alone (stdlib only): the system python3, before the project's venv exists.
images_py="$(cd "$(dirname "$0")/.." && pwd)/lab/images.py"

missing=""
for pkg in $PACKAGES; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
    [ "$status" = "installed" ] || missing="$missing $pkg"
done

if [ "${1:-}" = "--check" ]; then
    stale=""
    if command -v python3 >/dev/null; then
        for image in $IMAGES; do
            python3 -I "$images_py" check "$image" >/dev/null || stale="$stale $image"
        done
    fi
    [ -z "$missing" ] || echo "missing:$missing"
    [ -z "$stale" ] || echo "lab images to build:$stale"
    [ -z "$missing$stale" ] || exit 1
    echo "all lab packages installed, lab images built"
    exit 0
fi

build_images() {
    for image in $IMAGES; do
        python3 -I "$images_py" build "$image"
    done
}

if [ -z "$missing" ]; then
    echo "install-deps: all lab packages already installed"
    if [ "$(id -u)" = 0 ]; then
        build_images
    fi
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
build_images
echo "install-deps: done"
