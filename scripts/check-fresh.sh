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
prog=check-fresh
. "$top/scripts/fresh-root.sh"
fresh_base

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
