#!/bin/sh
# deps.sh -- install the Debian packages the suite needs, when missing.
#
# Every tool that a make target calls comes from here, so that "make
# check", "make run" and "make lint" work on a bare Debian 12 (debootstrap
# --variant=minbase): make and cc (build-essential), col for the man-page
# checks (bsdextrautils), Node.js and npx for the OpenAPI lint, clang and
# its libFuzzer/sanitizer runtimes (libclang-rt-14-dev) for the fuzz targets,
# NumPy and SciPy for the HRV reference test, chromium for the admin
# console's browser tests (tests/console).
#
# Idempotent: on a machine that has everything it only runs dpkg-query.
# Needs root (or sudo) only when something is missing.
set -eu

PKGS="build-essential pkg-config
libpq-dev libcurl4-openssl-dev libjansson-dev libnng-dev nng-utils
libsodium-dev libcmocka-dev libyajl-dev kore clang libclang-rt-14-dev
postgresql postgresql-client
python3 python3-pytest python3-psycopg python3-yaml python3-jsonschema
python3-pytest-xdist python3-numpy python3-scipy
mandoc bsdextrautils valgrind wrk curl ca-certificates procps iproute2
php-cli php-guzzlehttp-guzzle chromium"
# Node.js may come from elsewhere (a NodeSource build brings its own npm
# and npx); Debian's packages are installed only when there is no npx.
command -v npx >/dev/null 2>&1 || PKGS="$PKGS nodejs npm"

missing=""
for p in $PKGS; do
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$st" = "installed" ] || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

echo "deps: installing:$missing"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null 2>&1 || {
		echo "deps: missing packages:$missing (run as root)" >&2
		exit 1
	}
	SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
# policy-rc.d keeps the Debian postgresql package from starting its own
# cluster; the suite runs private clusters under ./var or a temp dir.
$SUDO apt-get update -qq || $SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
