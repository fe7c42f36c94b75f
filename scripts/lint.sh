#!/bin/sh
# lint.sh -- man pages (mandoc -Tlint), usage() against SYNOPSIS, cross
# references between the pages, header self-containment of common/, and
# apid's OpenAPI document (Redocly).
set -eu
BUILD=${BUILD:-build}
rc=0

for m in man/*.[1-8]; do
	out=$(mandoc -Tlint -W warning "$m" 2>&1) || true
	if [ -n "$out" ]; then
		printf '%s\n' "$out"
		rc=1
	fi
done

# usage() must match the SYNOPSIS line of the page, word for word.  Every
# program prints "usage: ..." on standard error for an unknown flag (-Z).
# polarflow-apid is a small launcher (apid/launcher.c) that parses its own
# flags before it execs kore, so its usage line is checked like the others.
for prog in polarctl polarflow-syncd polarflow-analyticsd polarflow-apid; do
	bin=$BUILD/bin/$prog
	[ -x "$bin" ] || continue
	want=$("$bin" -Z 2>&1 | sed -n 's/^usage: //p' | tr -s ' ')
	have=$(mandoc -Tascii man/$prog.8 | col -b | awk '
	    /^SYNOPSIS/ { s = 1; next }
	    s && /^[A-Z]/ { exit }
	    s { sub(/^ +/, ""); printf "%s ", $0 }' | tr -s ' ' |
	    sed 's/ $//')
	if [ "$want" != "$have" ]; then
		echo "lint: $prog usage() and SYNOPSIS differ:"
		echo "  usage:    $want"
		echo "  synopsis: $have"
		rc=1
	fi
done

# Every page of this project named with .Xr (in SEE ALSO or in the text)
# must exist in man/.
for m in man/*.[1-8]; do
	for ref in $(awk '/^\./ { for (i = 1; i < NF - 1; i++)
	    if (($i == ".Xr" || $i == "Xr") &&
	    ($(i + 1) ~ /^polarflow/ || $(i + 1) == "polarctl"))
		print $(i + 1) "." $(i + 2) }' "$m"); do
		if [ ! -f "man/$ref" ]; then
			echo "lint: $m refers to $ref, which is not in man/"
			rc=1
		fi
	done
done

for h in common/*.h; do
	if ! echo "#include \"$h\"" | ${CC:-cc} -std=c11 -D_GNU_SOURCE -I. \
	    -I"$BUILD/gen" $(pkg-config --cflags libpq jansson) \
	    -Wall -Werror -fsyntax-only -x c - 2>/dev/null; then
		echo "lint: $h does not compile on its own"
		rc=1
	fi
done
# The OpenAPI document apid serves: Redocly's recommended rules, from the
# npm registry (pinned).  Redocly 2 needs Node.js 20.19 or later; Debian 12's
# own nodejs is 18, which runs only Redocly 1: its recommended ruleset is
# used there instead (and named in the output).  A registry that cannot be
# reached is reported and skipped, not mistaken for a clean document: the
# rest of the lint still decides the exit status.
if command -v npx >/dev/null 2>&1 && command -v node >/dev/null 2>&1; then
	if [ -n "${REDOCLY:-}" ]; then
		:
	elif node -e 'const [a, b] = process.versions.node.split(".").map(Number);
	    process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)'; then
		REDOCLY=@redocly/cli@2.77.0
	else
		REDOCLY=@redocly/cli@1.34.5
		echo "lint: Node.js $(node --version) is older than 20.19;" \
		    "linting openapi.json with $REDOCLY"
	fi
	st=0
	out=$(npx -y "$REDOCLY" lint --format=stylish apid/openapi.json \
	    2>&1) || st=$?
	if printf '%s\n' "$out" | grep -Eq '^npm (error|ERR!)'; then
		printf '%s\n' "$out" | grep -E '^npm (error|ERR!)' | head -3
		echo "lint: SKIPPED: could not fetch $REDOCLY from the npm" \
		    "registry; openapi.json NOT linted"
	elif [ "$st" -ne 0 ] || printf '%s\n' "$out" | grep -Eq '[0-9]+ warnings?'; then
		printf '%s\n' "$out" | grep -v '^ *[║╔╚]'
		echo "lint: apid/openapi.json has problems"
		rc=1
	fi
else
	echo "lint: SKIPPED: no node/npx (scripts/deps.sh installs them);" \
	    "openapi.json NOT linted"
fi

[ "$rc" -eq 0 ] && echo "lint: ok"
exit "$rc"
