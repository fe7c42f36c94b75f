#!/bin/sh
# run.sh [-t SECONDS] [-w WORKDIR] [TARGET...] -- run the libFuzzer targets.
#
# For each target (default: every fuzz/fuzz_*.c; name it "config" or
# "fuzz_config"), first replays its committed corpus fuzz/corpus/<target>/
# once (-runs=0: every input that ever crashed it stays fixed), then fuzzes
# for SECONDS (default 60) from that corpus with its dictionary.  New inputs
# go to WORKDIR/<target> (default $BUILD/fuzz/work, kept between runs),
# crashes to $BUILD/fuzz/crashes/<target>/: nothing is written into the
# source tree.  A crash is reproduced with "$BUILD/fuzz/fuzz_<target> FILE";
# once fixed, the file goes into fuzz/corpus/<target>/.
#
# Prints one line per target with what it reached, then exits 0 only if
# every target was built, replayed its corpus and found nothing.
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
BUILD=${BUILD:-build}
secs=60
work=""
while getopts t:w: opt; do
	case $opt in
	t) secs=$OPTARG ;;
	w) work=$OPTARG ;;
	*) echo "usage: $0 [-t SECONDS] [-w WORKDIR] [TARGET...]" >&2
	   exit 2 ;;
	esac
done
shift $((OPTIND - 1))
case $secs in
''|*[!0-9]*|0) echo "run.sh: -t wants a number of seconds > 0" >&2; exit 2 ;;
esac
[ -n "$work" ] || work="$BUILD/fuzz/work"

if [ $# -eq 0 ]; then
	for f in fuzz/fuzz_*.c; do
		f=${f#fuzz/fuzz_}
		set -- "$@" "${f%.c}"
	done
fi

# UBSan's reports abort (the targets are built -fno-sanitize-recover), so
# libFuzzer keeps the input; leaks count as crashes.
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="print_stacktrace=1:${UBSAN_OPTIONS:-}"

log=$(mktemp /tmp/pffuzz.XXXXXX) || exit 1
trap 'rm -f "$log"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# stat NAME: the value of libFuzzer's "stat::NAME: V" in the log, or "?".
stat() {
	v=$(sed -n "s/^stat::$1: *\([0-9]*\)$/\1/p" "$log" | tail -n 1)
	echo "${v:-?}"
}

# last FIELD: the value after "FIELD: " in libFuzzer's last status line.
last() {
	v=$(grep '^#[0-9]' "$log" | tail -n 1 |
	    sed -n "s/.* $1: \([0-9][0-9/a-zA-Z]*\).*/\1/p")
	echo "${v:-?}"
}

fails=0
for t in "$@"; do
	t=${t#fuzz_}
	bin="$BUILD/fuzz/fuzz_$t"
	corpus="fuzz/corpus/$t"
	art="$BUILD/fuzz/crashes/$t"
	if [ ! -x "$bin" ]; then
		echo "fuzz_$t: FAILED: $bin is not built"
		fails=$((fails + 1))
		continue
	fi
	if [ ! -d "$corpus" ]; then
		echo "fuzz_$t: FAILED: no seed corpus $corpus"
		fails=$((fails + 1))
		continue
	fi
	mkdir -p "$work/$t" "$art" || exit 1
	dict=""
	[ -f "fuzz/fuzz_$t.dict" ] && dict="-dict=fuzz/fuzz_$t.dict"
	n=$(find "$corpus" -type f | wc -l)
	if ! "$bin" -runs=0 -artifact_prefix="$art/" "$corpus" >"$log" 2>&1
	then
		cat "$log"
		echo "fuzz_$t: FAILED: an input of $corpus crashes it" \
		    "(the report is above)"
		fails=$((fails + 1))
		continue
	fi
	# shellcheck disable=SC2086
	"$bin" -max_total_time="$secs" -timeout=10 -print_final_stats=1 \
	    -artifact_prefix="$art/" $dict "$work/$t" "$corpus" >"$log" 2>&1
	rc=$?
	if [ "$rc" -ne 0 ]; then
		grep -v '^#[0-9]' "$log" | tail -n 60
		echo "fuzz_$t: FAILED (status $rc) after $(stat \
		    number_of_executed_units) runs; the input is in $art/"
		fails=$((fails + 1))
		continue
	fi
	echo "fuzz_$t: ok: replayed $n inputs; $(stat \
	    number_of_executed_units) runs in ${secs} s," \
	    "$(stat average_exec_per_sec) exec/s, cov $(last cov)," \
	    "ft $(last ft), corpus $(last corp)"
done
[ "$fails" -eq 0 ]
