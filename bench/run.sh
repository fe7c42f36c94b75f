#!/bin/sh
# run.sh -- "make bench": runs every benchmark under bench/ and prints its
# figures.  Benchmarks measure; they never pass or fail on a number.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
export PF_BUILD="$top/${BUILD:-build}"
rc=0
for b in bench/*.sh bench/*.py; do
	[ -e "$b" ] || continue
	# run.sh is this script, benchlib.py what the benches import
	case $(basename "$b") in run.sh|benchlib.py) continue ;; esac
	echo "== $b"
	case $b in
	*.py) /usr/bin/python3 "$b" || rc=1 ;;
	*) sh "$b" || rc=1 ;;
	esac
done
for b in "$PF_BUILD"/bench/bench_*; do
	[ -x "$b" ] || continue
	case $b in *.o|*.d) continue ;; esac
	echo "== $b"
	"$b" || rc=1
done
exit "$rc"
