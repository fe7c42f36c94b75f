#!/bin/sh
# run-demo.sh -- "make run": the whole suite in the foreground, with data.
#
# State lives in $POLARFLOW_VAR (default ./var) and is kept between runs:
#   pg/               a private PostgreSQL cluster (unless DATABASE_URL is set)
#   polarflow.conf    written on every run from the settings below; it
#                     names the database, so "polarctl -f var/polarflow.conf"
#                     works as it is
#   encryption.key    the token-sealing key, made once
#   polarsim.json     the simulator's tokens and registrations
#   demo-user         the Polar user id the demo authorised
#   demo-key          the demo user's API key, kept for the next run
#   run/              control and event sockets
#   log/polarsim.log  the simulator's log
#
# Without POLAR_CLIENT_ID in the environment the suite talks to polarsim,
# the local AccessLink stand-in, with one user and ~6 months of data; the
# demo goes through the real OAuth code exchange, a full sync and an
# analytics run before it prints "ready".  With POLAR_CLIENT_ID (and
# POLAR_CLIENT_SECRET) it talks to Polar and tells you how to connect an
# account.  Ctrl-C stops everything (exit status 0); the next run reuses
# the data and the key.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
BUILD=${BUILD:-build}
BIN=$top/$BUILD/bin
VAR=${POLARFLOW_VAR:-$top/var}
API_PORT=${API_PORT:-8000}
SIM_PORT=${POLARSIM_PORT:-8091}
SIM_DAYS=${POLARSIM_DAYS:-182}
CONF=$VAR/polarflow.conf
REDIRECT=http://localhost:$API_PORT/oauth/callback

say() { printf 'run: %s\n' "$*"; }
die() { printf 'run: %s\n' "$*" >&2; exit 1; }
# A process that exited may have been stopped by the same Ctrl-C that is
# about to reach this shell: give its trap the second to run first.
died() { sleep 1; die "$@"; }
# The way to name a file of $VAR to a user in the shell they are in.
here() {
	case $1 in
	"$top"/*) printf '%s' "${1#"$top"/}" ;;
	*) printf '%s' "$1" ;;
	esac
}

mkdir -p "$VAR/run" "$VAR/log"
VAR=$(cd "$VAR" && pwd)
chmod 755 "$VAR"
# A unix socket path holds at most 107 bytes: rundir and the cluster's
# socket directory must stay short.
[ ${#VAR} -le 80 ] || die "$VAR is too deep for unix socket paths;" \
    "set POLARFLOW_VAR to a shorter directory"

pids=""
started_pg=""
interrupted=""
stop() {
	trap - INT TERM EXIT
	[ -n "$pids" ] && say "stopping daemons"
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	for p in $pids; do wait "$p" 2>/dev/null || true; done
	if [ -n "$started_pg" ]; then
		say "stopping PostgreSQL"
		tests/pgcluster.sh stop "$VAR/pg" >/dev/null 2>&1 || true
	fi
	[ -z "$interrupted" ] || say "stopped"
}
trap stop EXIT
# Ctrl-C is the way to stop the demo, not a failure.
trap 'interrupted=1; exit 0' INT
trap 'exit 143' TERM

# ---- database -------------------------------------------------------------
if [ -z "${DATABASE_URL:-}" ]; then
	say "starting PostgreSQL in $VAR/pg"
	url=$(tests/pgcluster.sh start "$VAR/pg")
	started_pg=1
	psql "$url" -qtAc "SELECT 1 FROM pg_database WHERE datname = 'polarflow'" |
	    grep -q 1 || createdb -h "$VAR/pg" -U postgres polarflow
	DATABASE_URL="host=$VAR/pg port=5432 user=postgres dbname=polarflow"
fi
export DATABASE_URL

# ---- configuration --------------------------------------------------------
if [ ! -s "$VAR/encryption.key" ]; then
	(umask 077 && head -c 32 /dev/urandom | base64 >"$VAR/encryption.key")
fi
if [ -z "${POLAR_CLIENT_ID:-}" ]; then
	SIM=1
	SIM_URL=http://127.0.0.1:$SIM_PORT
else
	SIM=""
fi
# single-quoted for polarflow.conf: a quote inside is written twice
q=$(printf '%s' "$DATABASE_URL" | sed "s/'/''/g")
(umask 077 && {
	echo "# written by scripts/run-demo.sh on every run -- edit the script"
	echo "# or the environment, not this file"
	echo "database_url = '$q'"
	echo "rundir = $VAR/run"
	# the demo's daemons and polarctl all run as this user
	echo "control_allow_users = $(id -un)"
	echo "encryption_key_file = $VAR/encryption.key"
	echo "api_port = $API_PORT"
	echo "log_level = info"
	echo "sync_interval_minutes = 60"
	if [ -n "$SIM" ]; then
		echo "polar_client_id = polarsim-client"
		echo "polar_client_secret = polarsim-secret"
		echo "polar_api_url = $SIM_URL"
		echo "polar_token_url = $SIM_URL/v2/oauth2/token"
		echo "polar_auth_url = $SIM_URL/oauth2/authorization"
	fi
} >"$CONF")
ctl() { "$BIN/polarctl" -f "$CONF" "$@"; }

ctl db migrate

# ---- polarsim -------------------------------------------------------------
if [ -n "$SIM" ]; then
	say "starting polarsim (1 user, $SIM_DAYS days) on $SIM_URL"
	/usr/bin/python3 tests/polarsim/polarsim.py --host 127.0.0.1 \
	    --port "$SIM_PORT" --users 1 --days "$SIM_DAYS" --seed 2026 \
	    --redirect-uri "$REDIRECT" --state-file "$VAR/polarsim.json" \
	    >"$VAR/log/polarsim.log" 2>&1 &
	pids="$pids $!"
	i=0
	until grep -q "polarsim listening" "$VAR/log/polarsim.log"; do
		kill -0 "$!" 2>/dev/null || died "polarsim did not start:" \
		    "$(cat "$VAR/log/polarsim.log")"
		i=$((i + 1))
		[ $i -lt 300 ] || die "polarsim did not start in 30 s"
		sleep 0.1
	done
fi

# ---- daemons --------------------------------------------------------------
for d in polarflow-syncd polarflow-analyticsd polarflow-apid; do
	[ -x "$BIN/$d" ] || die "$BIN/$d is missing: run make first"
	"$BIN/$d" -f "$CONF" &
	pids="$pids $!"
done

wait_for() {	# wait_for <seconds> <what> <command...>
	n=$(($1 * 10)); what=$2; shift 2
	while ! "$@" >/dev/null 2>&1; do
		for p in $pids; do
			kill -0 "$p" 2>/dev/null || died "a daemon exited" \
			    "while waiting for $what"
		done
		n=$((n - 1))
		[ $n -gt 0 ] || die "gave up waiting for $what"
		sleep 0.1
	done
}
wait_for 60 "syncd" ctl show status syncd
wait_for 60 "analyticsd" ctl show status analyticsd
wait_for 60 "apid" curl -fsS "http://127.0.0.1:$API_PORT/ready"

# ---- the demo user ---------------------------------------------------------
uid=""
authorised=""
if [ -s "$VAR/demo-user" ]; then
	uid=$(cat "$VAR/demo-user")
	ctl user show "$uid" >/dev/null 2>&1 || uid=""
fi
if [ -z "$uid" ] && [ -n "$SIM" ]; then
	# What a browser does: Polar's consent page redirects back with a code.
	say "authorising the demo user with (simulated) Polar"
	loc=$(curl -fsS -o /dev/null -w '%{redirect_url}' "$SIM_URL/oauth2/authorization?response_type=code&client_id=polarsim-client&redirect_uri=$REDIRECT&state=demo&user=0")
	code=$(printf '%s\n' "$loc" | sed -n 's/.*[?&]code=\([0-9A-Za-z]*\).*/\1/p')
	[ -n "$code" ] || die "no authorization code in redirect '$loc'"
	uid=$(ctl -j user authorize "$code" --redirect-uri "$REDIRECT" |
	    /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["user_id"])')
	echo "$uid" >"$VAR/demo-user"
	authorised=1
fi

# The admin console: its setup token while no administrator exists.
console="http://127.0.0.1:$API_PORT/admin"
if token=$(ctl admin setup-token 2>/dev/null) && [ -n "$token" ]; then
	console="$console   (setup token: $token)"
else
	console="$console   (sign in; polarctl admin add|passwd)"
fi

if [ -z "$uid" ]; then
	cat <<MSG

polar-flow-server is running against Polar; no user is connected yet.
Console: $console
Connect an account (the redirect URI must be registered with your client):
  $BUILD/bin/polarctl -f $(here "$CONF") user connect --redirect-uri <uri>
  $BUILD/bin/polarctl -f $(here "$CONF") user authorize <code> --redirect-uri <uri>
then create its API key with
  $BUILD/bin/polarctl -f $(here "$CONF") key create --user <polar-user-id>

ready: http://127.0.0.1:$API_PORT
MSG
else
	if [ -n "$authorised" ]; then
		# The scheduler starts a new user's first sync at once.
		say "first sync of user $uid: everything Polar keeps"
	elif out=$(ctl -j sync now "$uid" 2>&1); then
		printf '%s' "$out" | /usr/bin/python3 -c 'import json, sys
r = json.load(sys.stdin)
print("run: sync: %d records in %d API calls, %d ms" % (sum(r.get("records", {}).values()), r.get("api_calls", 0), r.get("duration_ms", 0)))'
	else
		case $out in
		*"already running"*) ;;	# the scheduler's: waited for below
		*) say "$out" ;;
		esac
	fi
	sync_done() {
		printf '%s\n' "SELECT count(*) FILTER (WHERE status <> 'started') > 0 AND count(*) FILTER (WHERE status = 'started') = 0 FROM sync_logs WHERE user_id = :'uid'" |
		    psql "$DATABASE_URL" -qtA -v uid="$uid" | grep -q t
	}
	wait_for 600 "the first sync" sync_done
	# analyticsd picks the sync up from its data.changed event
	analytics_done() {
		printf '%s\n' "SELECT 1 FROM analytics_state WHERE user_id = :'uid' AND analytics_run_at >= data_changed_at" |
		    psql "$DATABASE_URL" -qtA -v uid="$uid" | grep -q 1
	}
	wait_for 300 "the first analytics run" analytics_done
	api=http://127.0.0.1:$API_PORT/api/v1/users/$uid
	# A key is shown only once; the demo keeps its own in var/demo-key
	# and issues a new one only when that one no longer works.
	key=""
	if [ -s "$VAR/demo-key" ]; then
		key=$(cat "$VAR/demo-key")
		curl -fs -o /dev/null -H "X-API-Key: $key" "$api/api-key/info" ||
		    key=""
		[ -n "$key" ] || say "the key in $(here "$VAR/demo-key") no" \
		    "longer works; issuing a new one"
	fi
	if [ -z "$key" ]; then
		id=$(ctl -j key list --user "$uid" |
		    sed -n 's/.*"id": \([0-9]*\).*/\1/p' | head -1)
		if [ -n "$id" ]; then
			key=$(ctl key regenerate "$id" | head -1)
		else
			key=$(ctl key create --user "$uid" --name demo | head -1)
		fi
		(umask 077 && printf '%s\n' "$key" >"$VAR/demo-key")
	fi
	cat <<MSG

polar-flow-server demo
  API:       http://127.0.0.1:$API_PORT   (OpenAPI: /schema/openapi.json)
  console:   $console
  user:      $uid
  API key:   $key   (kept in $(here "$VAR/demo-key"))
  database:  $DATABASE_URL
  config:    $(here "$CONF")

Try:
  curl -s -H 'X-API-Key: $key' '$api/sleep?days=7'
  curl -s -H 'X-API-Key: $key' '$api/baselines'
  curl -s -H 'X-API-Key: $key' '$api/insights'
  $BUILD/bin/polarctl -f $(here "$CONF") show status

ready: http://127.0.0.1:$API_PORT   (Ctrl-C stops everything)
MSG
fi

while :; do
	for p in $pids; do
		kill -0 "$p" 2>/dev/null || died "a process exited (pid $p);" \
		    "stopping"
	done
	sleep 1
done
