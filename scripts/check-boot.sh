#!/bin/sh
# check-boot.sh -- "make check-boot": the README's production install on a
# booted Debian 12 with systemd, PostgreSQL and peer authentication, then
# the privilege separation it promises, checked as each daemon's user.
#
# The bare root (fresh-root.sh) gets systemd, PostgreSQL and the runtime
# libraries once ($FRESH_DIR/boot, rebuilt when the package list changes);
# every run copies it, installs this build into it with "make install
# DESTDIR=", and boots it with systemd-nspawn -b.  Inside, a one-shot unit
# runs the commands of README.md's "Production install with systemd" block
# as written (the build and the interactive sudoedit excepted: the build
# is installed from here, and the edit becomes one appended line), then
# the checks, writes one "ok ..." or "FAIL ..." line per check to
# /root/boot-result and powers off.  Exit status 0 when every check passed,
# 77 when this machine cannot boot a container (not root, no debootstrap
# or archive, nested container).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
prog=check-boot
. "$top/scripts/fresh-root.sh"
BUILD=${BUILD:-build}

[ "$(id -u)" -eq 0 ] || { say "SKIPPED: needs root"; exit 77; }
# systemd-nspawn cannot boot a system inside one of its own containers
# (check-fresh's bare root is one)
virt=${container:-}
[ -z "$virt" ] && [ -r /run/systemd/container ] &&
    virt=$(cat /run/systemd/container)
[ -z "$virt" ] && command -v systemd-detect-virt >/dev/null 2>&1 &&
    virt=$(systemd-detect-virt -c 2>/dev/null || :)
if [ "$virt" = systemd-nspawn ]; then
	say "SKIPPED: inside a systemd-nspawn container; no nested boot"
	exit 77
fi
fresh_base

PKGS="systemd systemd-sysv dbus sudo postgresql postgresql-client kore
libpq5 libcurl4 libjansson4 libnng1 libsodium23 libyajl2 curl ca-certificates
procps"
boot=$FRESH_DIR/boot
stamp=$(printf '%s' "$PKGS" | sha256sum | cut -c1-16)
if [ ! -f "$boot/.complete-$stamp" ]; then
	rm -rf "$boot"
	say "making the boot image $boot (systemd, PostgreSQL, libraries)"
	cp -a "$FRESH_DIR/base" "$boot"
	rm -f "$boot"/.complete*
	systemd-nspawn -q --register=no --keep-unit -D "$boot" --as-pid2 \
	    /bin/sh -c "export DEBIAN_FRONTEND=noninteractive;
	    apt-get update -qq && apt-get install -y -qq \
	    --no-install-recommends $(echo $PKGS)" \
	    >"$FRESH_DIR/boot-image.log" 2>&1 </dev/null ||
	    die "could not make the boot image; see $FRESH_DIR/boot-image.log"
	touch "$boot/.complete-$stamp"
fi

root=$FRESH_DIR/bootrun.$$
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

cp -a "$boot" "$root"
rm -f "$root"/.complete*
say "make install DESTDIR=$root"
make -C "$top" --no-print-directory NODEPS=1 BUILD="$BUILD" install \
    DESTDIR="$root" >"$FRESH_DIR/boot-install.log" 2>&1 ||
    die "make install failed; see $FRESH_DIR/boot-install.log"

# The README's block, one command per line; the build line and the
# interactive edit are replaced as said above.
awk '/^## Production install with systemd/ { sec = 1; next }
    sec && /^```sh/ { blk = 1; next }
    blk && /^```/ { exit }
    blk { print }' "$top/README.md" |
while IFS= read -r line; do
	case $line in
	make*install*) ;;
	sudoedit*)
		echo "echo \"polar_client_id = 'boot-test-client'\" >>" \
		    "/etc/polarflow/polarflow.conf" ;;
	*) printf '%s\n' "$line" ;;
	esac
done >"$root/root/readme-steps"
grep -q 'polarctl setup' "$root/root/readme-steps" ||
    die "README.md has no production install block"

cp "$top/scripts/boot-check.sh" "$root/root/boot-check.sh"
chmod 0755 "$root/root/boot-check.sh"
cat >"$root/etc/systemd/system/polarflow-boot-check.service" <<'EOF'
[Unit]
Description=polar-flow-server boot check
After=multi-user.target postgresql.service

[Service]
Type=oneshot
ExecStart=/root/boot-check.sh
StandardOutput=journal+console
StandardError=journal+console

[Install]
WantedBy=multi-user.target
EOF
ln -sf /etc/systemd/system/polarflow-boot-check.service \
    "$root/etc/systemd/system/multi-user.target.wants/"

say "booting $root"
st=0
timeout 900 systemd-nspawn -q --register=no --keep-unit -D "$root" -b \
    >"$FRESH_DIR/boot.log" 2>&1 </dev/null || st=$?
if [ ! -f "$root/root/boot-result" ]; then
	tail -n 30 "$FRESH_DIR/boot.log" >&2
	die "the container wrote no result (nspawn status $st); see" \
	    "$FRESH_DIR/boot.log"
fi
cat "$root/root/boot-result"
cp "$root/root/boot-check.log" "$FRESH_DIR/boot-check.log" 2>/dev/null || :
npass=$(grep -c '^ok ' "$root/root/boot-result" || :)
nfail=$(grep -c '^FAIL ' "$root/root/boot-result" || :)
grep -q '^done$' "$root/root/boot-result" || nfail=$((nfail + 1))
say "$npass passed, $nfail failed (log: $FRESH_DIR/boot-check.log)"
[ "$nfail" -eq 0 ]
