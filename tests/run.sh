#!/bin/sh
# run.sh [unit|integration [pytest args...]|fuzz] -- the runner behind
# "make check".
#
# Starts one throwaway PostgreSQL cluster for the whole run (or uses the one
# named by PF_TEST_PGDIR and PF_TEST_DATABASE_URL), runs every cmocka binary
# under $BUILD/tests/unit, the pytest suites (in PF_TEST_JOBS parallel
# workers, default 3, 2 under SANITIZE=1) and every libFuzzer target under $BUILD/fuzz (its
# corpus replayed, then FUZZ_CHECK_TIME seconds of fuzzing, default 15;
# not under SANITIZE=1, the targets being sanitised anyway), then prints
# the runners' counts and one closing line "N passed, N failed".
#
# Pass or fail is taken from each runner's own exit status, never from the
# counts parsed out of its output: a binary that crashes before cmocka could
# count, a pytest that collects nothing, or a summary line this script cannot
# read all fail the run.  The counts are only for people, and are added up
# with the shell's own arithmetic so that no missing tool can turn a failure
# into a zero.
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
BUILD=${BUILD:-build}
what=${1:-all}
[ $# -gt 0 ] && shift
# anything after "integration" goes to pytest (e.g. -k sync_trigger)
case $BUILD in
/*) export PF_BUILD="$BUILD" ;;
*) export PF_BUILD="$top/$BUILD" ;;
esac

if [ "${SANITIZE:-0}" = 1 ]; then
	export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:halt_on_error=1"
	export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
fi

tmp=$(mktemp -d /tmp/pfrun.XXXXXX) || exit 1
pgdir=""
cleanup() {
	if [ -n "$pgdir" ]; then
		tests/pgcluster.sh stop "$pgdir" >/dev/null 2>&1
		rm -rf "$pgdir"
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# the fuzz targets need no database
if [ "$what" != fuzz ] && { [ -z "${PF_TEST_PGDIR:-}" ] ||
    [ -z "${PF_TEST_DATABASE_URL:-}" ]; }; then
	pgdir=$(mktemp -d /tmp/pfck.XXXXXX) || exit 1
	if ! url=$(tests/pgcluster.sh start "$pgdir"); then
		echo "run.sh: could not start a test PostgreSQL cluster" >&2
		exit 1
	fi
	export PF_TEST_DATABASE_URL="$url" PF_TEST_PGDIR="$pgdir"
fi
export PF_TEST_REQUIRE_DB=1

passed=0
failed=0
skipped=0
broken=""	# runners that exited non-zero

# count WORD FILE: the number before WORD in the last line of FILE that has
# one ("3 passed", "[  PASSED  ] 3 test(s)."), or 0.
count() {
	n=$(sed -n "$1" "$2" | tail -n 1)
	case $n in
	''|*[!0-9]*) echo 0 ;;
	*) echo "$n" ;;
	esac
}

if [ "$what" = all ] || [ "$what" = unit ]; then
	echo "== unit tests (cmocka)"
	up=0 uf=0 us=0
	for t in $(find "$BUILD/tests/unit" -type f -name 'test_*' \
	    ! -name '*.[od]' 2>/dev/null | sort); do
		"$t" >"$tmp/unit.out" 2>&1
		rc=$?
		cat "$tmp/unit.out"
		p=$(count 's/^\[  PASSED  \] \([0-9]*\) test(s)\..*/\1/p' \
		    "$tmp/unit.out")
		f=$(count 's/^\[  FAILED  \] \([0-9]*\) test(s),.*/\1/p' \
		    "$tmp/unit.out")
		s=$(count 's/^\[  SKIPPED \] \([0-9]*\) test(s),.*/\1/p' \
		    "$tmp/unit.out")
		if [ "$rc" -ne 0 ]; then
			broken="$broken ${t#"$BUILD"/tests/unit/}"
			if [ "$f" -eq 0 ]; then
				# died before cmocka could count: one failure
				echo "run.sh: $t exited with status $rc" \
				    "without reporting a failed test"
				f=1
			fi
		fi
		up=$((up + p)) uf=$((uf + f)) us=$((us + s))
	done
	echo "unit: $up passed, $uf failed, $us skipped"
	passed=$((passed + up)) failed=$((failed + uf))
	skipped=$((skipped + us))
fi

if [ "$what" = all ] || [ "$what" = integration ]; then
	echo "== integration tests (pytest)"
	# test_mcp.py's client: the official MCP SDK, pinned in
	# tests/mcp/package-lock.json, installed once into a cache; when the
	# registry cannot be reached the test says SKIPPED, with the reason.
	if ! tests/npm-setup.sh tests/mcp >/dev/null 2>"$tmp/mcp.err"; then
		echo "tests/mcp: $(tail -n 1 "$tmp/mcp.err")"
	fi
	# test_console.py's browser driver (playwright-core, axe-core), the
	# same way, from tests/console/package-lock.json.
	if ! tests/npm-setup.sh tests/console >/dev/null \
	    2>"$tmp/console.err"; then
		echo "tests/console: $(tail -n 1 "$tmp/console.err")"
	fi
	suites=""
	if [ $# -eq 0 ]; then
		for d in tests/integration tests/polarsim; do
			[ -d "$d" ] && suites="$suites $d"
		done
	fi
	# The tests mostly wait (for daemons, sockets, PostgreSQL), so the
	# whole suite runs in PF_TEST_JOBS pytest-xdist workers, a file per
	# worker so that module fixtures are made once; each test has its own
	# database, ports and directories.  PF_TEST_JOBS=0 runs it serially,
	# as does a run naming its own tests.  Daemons under ASan need about
	# twice the CPU, so a sanitised run has one worker less.
	if [ "${SANITIZE:-0}" = 1 ]; then
		jobs=${PF_TEST_JOBS:-2}
	else
		jobs=${PF_TEST_JOBS:-3}
	fi
	case $jobs in
	''|*[!0-9]*) echo "run.sh: PF_TEST_JOBS wants a number" >&2; exit 2 ;;
	esac
	par=""
	if [ $# -eq 0 ] && [ "$jobs" -gt 0 ] &&
	    /usr/bin/python3 -c 'import xdist' 2>/dev/null; then
		par="-n $jobs --dist loadfile"
	fi
	# tee for the live output; the exit status goes round the pipe in a
	# file because POSIX sh has no pipefail.  The counts come from
	# pytest's JUnit report, which is written whatever -q or -r say.
	# shellcheck disable=SC2086
	{ /usr/bin/python3 -m pytest -p no:cacheprovider -q $par \
	    --junitxml="$tmp/pytest.xml" $suites "$@"; \
	    echo $? >"$tmp/pytest.rc"; } 2>&1 | tee "$tmp/pytest.out"
	prc=$(cat "$tmp/pytest.rc" 2>/dev/null || echo 127)
	attr() {
		count "s/.*<testsuite [^>]*\b$1=\"\([0-9]*\)\".*/\1/p" \
		    "$tmp/pytest.xml"
	}
	if [ -f "$tmp/pytest.xml" ]; then
		it=$(attr tests) if_=$(attr failures) ie=$(attr errors)
		is=$(attr skipped)
		ip=$((it - if_ - ie - is))
	else
		ip=0 if_=0 ie=0 is=0
	fi
	if_=$((if_ + ie))
	if [ "$prc" -ne 0 ]; then
		broken="$broken pytest"
		if [ "$if_" -eq 0 ]; then
			# no tests collected (5), interrupted, or crashed
			echo "run.sh: pytest exited with status $prc" \
			    "without reporting a failed test"
			if_=1
		fi
	fi
	echo "integration: $ip passed, $if_ failed, $is skipped"
	passed=$((passed + ip)) failed=$((failed + if_))
	skipped=$((skipped + is))
fi

if [ "$what" = all ] && [ "${SANITIZE:-0}" = 1 ]; then
	# fuzz/fuzz.mk: the targets always run with ASan and UBSan, so the
	# plain pass's run is the sanitised one; "run.sh fuzz" still runs them.
	echo "== fuzz targets: run by the plain pass (always sanitised)"
elif [ "$what" = all ] || [ "$what" = fuzz ]; then
	echo "== fuzz targets (libFuzzer)"
	fp=0 ff=0 fs=0
	for t in fuzz/fuzz_*.c; do
		t=${t#fuzz/}
		t=${t%.c}
		if [ "${NODEPS:-0}" = 1 ] && ! command -v clang >/dev/null 2>&1
		then
			# NODEPS=1: nothing may be installed, so no clang
			echo "$t: SKIPPED: clang is not installed (NODEPS=1)"
			fs=$((fs + 1))
			continue
		fi
		# One target is one runner: its own exit status counts.
		if fuzz/run.sh -t "${FUZZ_CHECK_TIME:-15}" -w "$tmp/fuzz" "$t"
		then
			fp=$((fp + 1))
		else
			broken="$broken $t"
			ff=$((ff + 1))
		fi
	done
	echo "fuzz: $fp passed, $ff failed, $fs skipped"
	passed=$((passed + fp)) failed=$((failed + ff))
	skipped=$((skipped + fs))
fi

[ -n "$broken" ] && echo "failing runners:$broken"
echo "$passed passed, $failed failed, $skipped skipped"
[ -z "$broken" ] && [ "$failed" -eq 0 ]
