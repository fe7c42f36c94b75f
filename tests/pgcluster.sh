#!/bin/sh
# pgcluster.sh start DIR | stop DIR | url DIR
#
# A throwaway PostgreSQL cluster for tests and the demo: initdb into
# DIR/data as a non-root user (the Debian "postgres" user when run as root),
# unix socket only (in DIR), fsync off.  "start" prints the conninfo.
# DIR must be short: unix socket paths are limited to 107 bytes.
set -eu

cmd=${1:?usage: pgcluster.sh start|stop|url DIR}
dir=${2:?usage: pgcluster.sh start|stop|url DIR}
port=${PGPORT_TEST:-5432}
bindir=$(pg_config --bindir 2>/dev/null || echo /usr/lib/postgresql/15/bin)

as_owner() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

url() {
	echo "host=$dir port=$port user=postgres dbname=postgres"
}

case $cmd in
start)
	mkdir -p "$dir"
	[ "$(id -u)" -eq 0 ] && chown postgres:postgres "$dir"
	chmod 755 "$dir"
	if [ ! -f "$dir/data/PG_VERSION" ]; then
		as_owner "$bindir/initdb" -D "$dir/data" -U postgres -A trust \
		    -E UTF8 --locale=C.UTF-8 -N >"$dir/initdb.log" 2>&1 || {
			cat "$dir/initdb.log" >&2
			exit 1
		}
	fi
	if ! as_owner "$bindir/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
		as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" \
		    -w -t 60 -o "-c listen_addresses= -k $dir -p $port \
		    -c fsync=off -c full_page_writes=off \
		    -c synchronous_commit=off -c max_connections=200" \
		    start >/dev/null || {
			cat "$dir/server.log" >&2
			exit 1
		}
	fi
	url
	;;
stop)
	if [ -f "$dir/data/PG_VERSION" ]; then
		as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop \
		    >/dev/null 2>&1 || true
	fi
	;;
url)
	url
	;;
*)
	echo "usage: pgcluster.sh start|stop|url DIR" >&2
	exit 2
	;;
esac
