#!/bin/sh
# run.sh [unit|integration [pytest args...]] -- the runner behind "make check".
#
# Starts one throwaway PostgreSQL cluster for the whole run, runs every
# cmocka binary under $BUILD/tests/unit and the pytest suites, then prints
# one closing line "N passed, N failed".  Exit status 0 only if all passed.
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
BUILD=${BUILD:-build}
what=${1:-all}
[ $# -gt 0 ] && shift
# anything after "integration" goes to pytest (e.g. -k sync_trigger)
export PF_BUILD="$top/$BUILD"

if [ "${SANITIZE:-0}" = 1 ]; then
	export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:halt_on_error=1"
	export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
fi

pgdir=$(mktemp -d /tmp/pfck.XXXXXX)
cleanup() {
	tests/pgcluster.sh stop "$pgdir" >/dev/null 2>&1
	rm -rf "$pgdir"
}
trap cleanup EXIT INT TERM

if ! url=$(tests/pgcluster.sh start "$pgdir"); then
	echo "run.sh: could not start a test PostgreSQL cluster" >&2
	exit 1
fi
export PF_TEST_DATABASE_URL="$url" PF_TEST_PGDIR="$pgdir"
export PF_TEST_REQUIRE_DB=1

passed=0
failed=0
bad_bins=""

if [ "$what" = all ] || [ "$what" = unit ]; then
	echo "== unit tests (cmocka)"
	for t in $(find "$BUILD/tests/unit" -type f -name 'test_*' \
	    ! -name '*.[od]' 2>/dev/null | sort); do
		out=$("$t" 2>&1)
		rc=$?
		printf '%s\n' "$out"
		p=$(printf '%s\n' "$out" | sed -n \
		    's/^\[  PASSED  \] \([0-9]*\) test(s)\./\1/p' | tail -1)
		f=$(printf '%s\n' "$out" | sed -n \
		    's/^\[  FAILED  \] \([0-9]*\) test(s),.*/\1/p' | tail -1)
		passed=$((passed + ${p:-0}))
		failed=$((failed + ${f:-0}))
		if [ "$rc" -ne 0 ] && [ -z "$f" ]; then
			# crashed before cmocka could count
			failed=$((failed + 1))
		fi
		[ "$rc" -ne 0 ] && bad_bins="$bad_bins $(basename "$t")"
	done
	echo "unit: $passed passed, $failed failed"
fi

if [ "$what" = all ] || [ "$what" = integration ]; then
	echo "== integration tests (pytest)"
	suites=""
	if [ $# -eq 0 ]; then
		for d in tests/integration tests/polarsim; do
			[ -d "$d" ] && suites="$suites $d"
		done
	fi
	log=$(mktemp)
	# shellcheck disable=SC2086
	/usr/bin/python3 -m pytest -p no:cacheprovider -q $suites "$@" 2>&1 |
	    tee "$log"
	ip=$(grep -Eo '[0-9]+ passed' "$log" | tail -1 | cut -d' ' -f1)
	if_=$(grep -Eo '[0-9]+ (failed|error)' "$log" | cut -d' ' -f1 |
	    paste -sd+ - | bc 2>/dev/null)
	if ! grep -Eq '[0-9]+ passed' "$log"; then
		if_=$(( ${if_:-0} + 1 ))	# pytest collected nothing or crashed
	fi
	rm -f "$log"
	passed=$((passed + ${ip:-0}))
	failed=$((failed + ${if_:-0}))
fi

[ -n "$bad_bins" ] && echo "failing unit binaries:$bad_bins"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
