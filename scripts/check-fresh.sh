#!/bin/sh
# check-fresh.sh -- "make check-fresh": CI as a self-hoster's bare server
# would run it.
#
# Builds a bare Debian 12 root once (debootstrap --variant=minbase bookworm,
# kept in $FRESH_DIR/base), copies it for every run so each run starts from
# nothing, puts a fresh clone of this checkout's HEAD in it (and ../shared
# beside it when there is one), and runs "bash .ci/run" inside with
# systemd-nspawn and CI=true.  Its exit status is .ci/run's.  Uncommitted
# changes are not in the clone: commit first.
#
# Needs root, debootstrap and systemd-nspawn (installed here when missing)
# and network access to Debian's archive; the npm registry is optional (the
# OpenAPI lint says when it skipped).  FRESH_REBUILD=1 makes a new base;
# FRESH_KEEP=1 keeps the run's root for a look afterwards.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
FRESH_DIR=${FRESH_DIR:-$top/var/fresh}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

say() { printf 'check-fresh: %s\n' "$*"; }
die() { printf 'check-fresh: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "needs root (debootstrap, systemd-nspawn)"
need=""
command -v debootstrap >/dev/null 2>&1 || need="$need debootstrap"
command -v systemd-nspawn >/dev/null 2>&1 || need="$need systemd-container"
if [ -n "$need" ]; then
	say "installing:$need"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    --no-install-recommends $need >/dev/null
fi

mkdir -p "$FRESH_DIR"
base=$FRESH_DIR/base
if [ "${FRESH_REBUILD:-0}" = 1 ] || [ ! -f "$base/.complete" ]; then
	rm -rf "$base"
	say "debootstrap --variant=minbase bookworm into $base"
	debootstrap --variant=minbase bookworm "$base" "$MIRROR" \
	    >"$FRESH_DIR/debootstrap.log" 2>&1 ||
	    die "debootstrap failed; see $FRESH_DIR/debootstrap.log"
	touch "$base/.complete"
fi

root=$FRESH_DIR/root.$$
cleanup() {
	if [ "${FRESH_KEEP:-0}" = 1 ]; then
		say "kept $root"
	else
		rm -rf "$root"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

say "copying the base root to $root"
cp -a "$base" "$root"
rm -f "$root/.complete"
mkdir -p "$root/work"
if [ -n "$(git -C "$top" status --porcelain --untracked-files=no)" ]; then
	say "note: uncommitted changes are not part of the run"
fi
say "cloning $(git -C "$top" rev-parse --short HEAD) into $root/work/main"
git clone -q --no-local "$top" "$root/work/main"
[ -d "$top/../shared" ] && cp -a "$top/../shared" "$root/work/shared"

# --register=no and --keep-unit: no machined or systemd bus is needed, so
# this also runs where systemd is not PID 1 (a container, a CI runner).
say "running .ci/run in the bare root"
st=0
systemd-nspawn -q --register=no --keep-unit -D "$root" --as-pid2 \
    --setenv=CI=true --chdir=/work/main /bin/bash .ci/run </dev/null || st=$?
say ".ci/run exited with status $st"
exit "$st"
