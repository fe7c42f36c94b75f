#!/bin/sh
# npm-setup.sh DIR -- installs the npm packages of a test client directory
# (tests/mcp, tests/console) exactly as pinned in DIR/package-lock.json,
# into a cache directory (one per lock file, under PF_NPM_CACHE), and
# prints that directory's node_modules.  Exit 77 with a "SKIPPED:" line
# when npm or its registry cannot be reached; 1 on other failures.
set -u
[ $# -eq 1 ] && [ -f "$1/package-lock.json" ] || {
	echo "usage: npm-setup.sh DIR (a directory with package-lock.json)" >&2
	exit 1
}
here=$(cd "$1" && pwd)
cache=${PF_NPM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/polarflow/npm}
cache=$cache/$(basename "$here")
sum=$(cat "$here/package.json" "$here/package-lock.json" | sha256sum |
    cut -c1-16)
dir=$cache/$sum
if [ ! -f "$dir/.installed" ]; then
	if ! command -v npm >/dev/null 2>&1; then
		echo "SKIPPED: npm is not installed" >&2
		exit 77
	fi
	mkdir -p "$cache" || exit 1
	tmp=$(mktemp -d "$cache/.tmp.XXXXXX") || exit 1
	cp "$here/package.json" "$here/package-lock.json" "$tmp/" || exit 1
	if ! (cd "$tmp" && npm ci --no-audit --no-fund --ignore-scripts \
	    >npm.log 2>&1); then
		if grep -Eqi 'ENOTFOUND|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EAI_AGAIN|network' \
		    "$tmp/npm.log"; then
			echo "SKIPPED: the npm registry cannot be reached" >&2
			rm -rf "$tmp"
			exit 77
		fi
		cat "$tmp/npm.log" >&2
		rm -rf "$tmp"
		exit 1
	fi
	touch "$tmp/.installed"
	rm -rf "$dir"
	mv "$tmp" "$dir" || exit 1
fi
echo "$dir/node_modules"
