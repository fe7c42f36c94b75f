#!/bin/sh
# run-demo.sh -- "make run": a private, persistent demo stack under ./var.
#
# Without DATABASE_URL it starts a PostgreSQL cluster in ./var/pg (kept
# between runs), migrates it, makes sure a demo user and API key exist and
# starts whichever daemons this build has.  Ctrl-C stops everything.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
BUILD=${BUILD:-build}
BIN=$top/$BUILD/bin
VAR=$top/var
DEMO_USER=${DEMO_USER:-demo}
mkdir -p "$VAR/run"
chmod 755 "$VAR"

pids=""
started_pg=""
stop() {
	trap - INT TERM EXIT
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	for p in $pids; do wait "$p" 2>/dev/null || true; done
	if [ -n "$started_pg" ]; then
		echo "run: stopping PostgreSQL"
		tests/pgcluster.sh stop "$VAR/pg"
	fi
}
trap stop INT TERM EXIT

if [ -z "${DATABASE_URL:-}" ]; then
	if [ ${#VAR} -gt 80 ]; then
		echo "run: $VAR is too deep for a unix socket path;" \
		    "set DATABASE_URL to an existing database" >&2
		exit 1
	fi
	echo "run: starting PostgreSQL in $VAR/pg"
	url=$(tests/pgcluster.sh start "$VAR/pg")
	started_pg=1
	psql "$url" -qtAc "SELECT 1 FROM pg_database WHERE datname = 'polarflow'" |
	    grep -q 1 || createdb -h "$VAR/pg" -U postgres polarflow
	DATABASE_URL="host=$VAR/pg port=5432 user=postgres dbname=polarflow"
	export DATABASE_URL
fi
export POLARFLOW_RUNDIR="$VAR/run"

"$BIN/polarctl" db migrate
"$BIN/polarctl" user show "$DEMO_USER" >/dev/null 2>&1 ||
    "$BIN/polarctl" user add "$DEMO_USER"
# A key is shown only once, so a rerun issues a fresh one for the demo.
id=$("$BIN/polarctl" -j key list --user "$DEMO_USER" |
    sed -n 's/.*"id": \([0-9]*\).*/\1/p' | head -1)
if [ -n "$id" ]; then
	key=$("$BIN/polarctl" key regenerate "$id" | head -1)
else
	key=$("$BIN/polarctl" key create --user "$DEMO_USER" | head -1)
fi

for d in polarflow-syncd polarflow-analyticsd; do
	if [ -x "$BIN/$d" ]; then
		"$BIN/$d" &
		pids="$pids $!"
	fi
done

cat <<MSG

polar-flow-server demo
  database:  $DATABASE_URL
  user:      $DEMO_USER
  API key:   $key
MSG
if [ -z "$pids" ]; then
	cat <<MSG

The daemons (syncd, analyticsd, apid) are not part of this build yet:
the database, schema, demo user and key are ready for them.  Try
  DATABASE_URL='$DATABASE_URL' $BUILD/bin/polarctl user show $DEMO_USER
MSG
fi
echo
echo "Press Ctrl-C to stop."
while :; do sleep 3600; done
