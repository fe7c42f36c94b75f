#!/bin/sh
# readme-tour.sh -- the README's "tour of the API", from a running demo.
#
#     scripts/readme-tour.sh          while "make run" is up
#
# Asks the demo that scripts/run-demo.sh started (its state in
# $POLARFLOW_VAR, default ./var: the user, the key and the port) a few
# routes and prints a Markdown block of the commands and their answers,
# ready to paste into README.md.  Long answers are cut short with "...",
# never rewritten: every number shown is the API's own text.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
VAR=${POLARFLOW_VAR:-$top/var}
die() { printf 'readme-tour: %s\n' "$*" >&2; exit 1; }

if [ ! -s "$VAR/demo-user" ] || [ ! -s "$VAR/demo-key" ]; then
	die "no demo in $VAR: start it with make run first"
fi
U=$(cat "$VAR/demo-user")
K=$(cat "$VAR/demo-key")
port=$(sed -n 's/^api_port = \([0-9]*\)$/\1/p' "$VAR/polarflow.conf")
[ -n "$port" ] || die "no api_port in $VAR/polarflow.conf"
API=http://127.0.0.1:$port/api/v1

# route, then the members of a top-level object to show (all if empty)
tour() {
	body=$(curl -fsS -H "X-API-Key: $K" "$API/users/$U/$1") ||
	    die "GET $1 failed"
	# shellcheck disable=SC2016 # the names are shown, not expanded
	printf '$ curl -s -H "X-API-Key: $K" "$API/users/$U/%s"\n' "$1"
	printf '%s' "$body" | /usr/bin/python3 -c "$EXCERPT" "$2"
}

# An excerpt of a JSON text made of slices of that text: objects keep
# their first members up to a budget, arrays their first element, and
# what is left out is "...".  Lines are broken after commas.
EXCERPT='
import sys

raw = sys.stdin.read()
keys = [k for k in sys.argv[1].split(",") if k]


def skip_ws(s, i):
    while i < len(s) and s[i] in " \t\r\n":
        i += 1
    return i


def end_of(s, i):
    """index just past the JSON value starting at s[i]"""
    if s[i] == "\"":
        i += 1
        while s[i] != "\"":
            i += 2 if s[i] == "\\" else 1
        return i + 1
    if s[i] in "[{":
        depth, i = 0, i
        while True:
            c = s[i]
            if c == "\"":
                i = end_of(s, i)
                continue
            if c in "[{":
                depth += 1
            elif c in "]}":
                depth -= 1
                if depth == 0:
                    return i + 1
            i += 1
    while i < len(s) and s[i] not in ",]} \t\r\n":
        i += 1
    return i


def parts(s):
    """(key, "key": text, value text) of each member or element of s"""
    out, i = [], skip_ws(s, 1)
    while s[i] not in "]}":
        j = i
        if s[0] == "{":
            key = s[i + 1:end_of(s, i) - 1]
            j = skip_ws(s, end_of(s, j))
            j = skip_ws(s, j + 1)           # past the colon
            k = end_of(s, j)
            out.append((key, s[i:j], s[j:k]))
        else:
            k = end_of(s, j)
            out.append(("", "", s[j:k]))
        i = skip_ws(s, k)
        if s[i] == ",":
            i = skip_ws(s, i + 1)
    return out


def cut(s, budget, only=()):
    if len(s) <= budget and not only:
        return s
    if s[0] == "[":
        p = parts(s)
        if not p:
            return s
        first = cut(p[0][2], budget)
        return "[" + first + (", ...]" if len(p) > 1 else "]")
    if s[0] != "{":
        return s
    out, used, left = [], 0, False
    for key, name, value in parts(s):
        if only and key not in only:
            left = True
            continue
        if used > budget:
            left = True
            break
        v = cut(value, max(budget - used, 60))
        out.append(name + v)
        used += len(name) + len(v)
    return "{" + ",".join(out) + (",...}" if left else "}")


def wrap(s, width=88):
    lines, line, i, instr = [], "", 0, False
    for c in s:
        if c == " " and line == "  ":
            continue
        line += c
        if c == "\"" and not line.endswith("\\\""):
            instr = not instr
        if c == "," and not instr and len(line) > width - 20:
            lines.append(line)
            line = "  "
    lines.append(line)
    return "\n".join(l for l in lines if l.strip())


print(wrap(cut(raw, 600 if keys else 240, keys)))
'

printf '%s\n' '```console'
tour "sleep?days=7" ""
tour "baselines" ""
tour "insights" "status,data_age_days,current_metrics,patterns"
tour "analytics/daily/training_load?days=3" ""
printf '%s\n' '```'
