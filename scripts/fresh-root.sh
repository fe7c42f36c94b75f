# fresh-root.sh -- sourced by check-fresh.sh and check-boot.sh: the bare
# Debian 12 root both start from, built once and kept.
#
# fresh_base: debootstrap --variant=minbase bookworm into $FRESH_DIR/base
# unless it is complete already (FRESH_REBUILD=1 makes a new one).  Needs
# root, debootstrap and systemd-nspawn (installed here when missing) and
# Debian's archive.  Defines say() and die() for its callers.

FRESH_DIR=${FRESH_DIR:-$top/var/fresh}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

say() { printf '%s: %s\n' "$prog" "$*"; }
die() { printf '%s: %s\n' "$prog" "$*" >&2; exit 1; }

fresh_base() {
	[ "$(id -u)" -eq 0 ] || die "needs root (debootstrap, systemd-nspawn)"
	need=""
	command -v debootstrap >/dev/null 2>&1 || need="$need debootstrap"
	command -v systemd-nspawn >/dev/null 2>&1 ||
	    need="$need systemd-container"
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
}
