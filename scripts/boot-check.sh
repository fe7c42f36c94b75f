#!/bin/sh
# boot-check.sh -- run by check-boot.sh inside the booted container, as a
# one-shot unit: the README's production steps (/root/readme-steps), then
# what the install promises, each as one "ok ..." or "FAIL ..." line in
# /root/boot-result; "done" last, then the container powers off.
R=/root/boot-result
L=/root/boot-check.log
: >"$R"
: >"$L"
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

ok() { echo "ok $*" >>"$R"; }
fail() { echo "FAIL $*" >>"$R"; }
# check name command...: passes when the command succeeds
check() {
	n=$1; shift
	echo "+ [$n] $*" >>"$L"
	if "$@" >>"$L" 2>&1; then ok "$n"; else fail "$n"; fi
}
# refuse name command...: passes when the command fails (a denial)
refuse() {
	n=$1; shift
	echo "+ [$n] $*" >>"$L"
	if "$@" >>"$L" 2>&1; then fail "$n (it succeeded)"; else ok "$n"; fi
}
retry() {
	i=0
	while [ $i -lt 90 ]; do
		"$@" >/dev/null 2>&1 && return 0
		i=$((i + 1))
		sleep 1
	done
	"$@"
}
psql_as() {
	u=$1; shift
	runuser -u "$u" -- psql -X -q -v ON_ERROR_STOP=1 -d polarflow -c "$1"
}

check "postgresql accepts connections" retry pg_isready -q

# The README's steps, as written; the client secret arrives on stdin.
while IFS= read -r line; do
	echo "+ $line" >>"$L"
	if echo boot-test-client-secret | sh -c "$line" >>"$L" 2>&1; then
		ok "README: $line"
	else
		fail "README: $line"
	fi
done </root/readme-steps

for d in syncd analyticsd apid; do
	check "polarflow-$d is active" retry systemctl is-active -q \
	    "polarflow-$d.service"
done
check "apid answers /ready" retry curl -fsS http://127.0.0.1:8000/ready
check "polarctl show status" polarctl show status
check "polarctl secret list" polarctl secret list

# The shared configuration holds no secret; each daemon has only its own.
refuse "polarflow.conf holds no secret" grep -Eq \
    '^[[:space:]]*(encryption_key|polar_client_secret|api_key)[[:space:]]*=' \
    /etc/polarflow/polarflow.conf
C=/run/credentials
check "syncd has the encryption key as a credential" \
    test -s $C/polarflow-syncd.service/polarflow_encryption_key
check "syncd has Polar's client secret as a credential" \
    test -s $C/polarflow-syncd.service/polarflow_polar_client_secret
refuse "apid has no encryption key credential" \
    test -e $C/polarflow-apid.service/polarflow_encryption_key
refuse "_polarapi cannot read the encryption key in the store" \
    runuser -u _polarapi -- cat /etc/polarflow/credentials/syncd/encryption_key
refuse "_polarapi cannot read syncd's encryption key credential" \
    runuser -u _polarapi -- \
    cat $C/polarflow-syncd.service/polarflow_encryption_key
refuse "_polarapi cannot read syncd's client secret credential" \
    runuser -u _polarapi -- \
    cat $C/polarflow-syncd.service/polarflow_polar_client_secret
refuse "_polaranalytics cannot read the encryption key" \
    runuser -u _polaranalytics -- \
    cat $C/polarflow-syncd.service/polarflow_encryption_key

# apid's master key, from its own credential only.
polarctl secret rotate api_key >/root/api-key.out 2>>"$L"
MK=$(sed -n '1s/^api_key: //p' /root/api-key.out)
systemctl restart polarflow-apid.service
retry curl -fsS http://127.0.0.1:8000/ready >/dev/null 2>&1
master_works() {
	code=$(curl -s -o /dev/null -w '%{http_code}' -H "X-API-Key: $MK" \
	    http://127.0.0.1:8000/api/v1/users/nobody/status)
	echo "master key: HTTP $code"
	[ "$code" = 404 ]
}
check "apid takes its master key from its credential" master_works
refuse "_polarsync cannot read apid's master key credential" \
    runuser -u _polarsync -- cat $C/polarflow-apid.service/polarflow_api_key
refuse "_polarsync cannot read apid's master key in the store" \
    runuser -u _polarsync -- cat /etc/polarflow/credentials/apid/api_key

# apid: kore's parent root without the store, its workers chrooted and
# unprivileged, still reaching PostgreSQL and syncd.
apid_pid=$(systemctl show -p MainPID --value polarflow-apid.service)
workers=$(pgrep -P "$apid_pid" 2>/dev/null)
has_workers() { [ -n "$workers" ]; }
check "apid has worker processes" has_workers
workers_sandboxed() {
	for w in $workers; do
		u=$(ps -o user= -p "$w")
		r=$(readlink "/proc/$w/root")
		echo "worker $w: user $u, root $r"
		[ "$u" = _polarapi ] && [ "$r" = /run/polarflow-apid ] ||
		    return 1
	done
}
check "apid's workers run as _polarapi, chrooted" workers_sandboxed
# read_store PID: root reads the encryption key in the credentials store
# from PID's mount namespace (the key itself is not logged).  It must work
# from syncd's, or the refusal for apid would prove only that nsenter
# failed.
read_store() {
	nsenter -t "$1" -m -- \
	    cat /etc/polarflow/credentials/syncd/encryption_key >/dev/null
}
syncd_pid=$(systemctl show -p MainPID --value polarflow-syncd.service)
check "root in syncd's mount namespace reads the credentials store" \
    read_store "$syncd_pid"
refuse "apid's parent cannot read the credentials store" \
    read_store "$apid_pid"
polarctl user add boot1 >>"$L" 2>&1
BK=$(polarctl key create --user boot1 2>>"$L" | grep -o 'pfk_[0-9a-f]*' | head -n 1)
keyed_read() {
	code=$(curl -s -o /dev/null -w '%{http_code}' -H "X-API-Key: $BK" \
	    http://127.0.0.1:8000/api/v1/users/boot1/sleep)
	echo "sleep: HTTP $code"
	[ "$code" = 200 ]
}
check "a chrooted worker reads PostgreSQL" keyed_read
trigger_reaches_syncd() {
	out=$(curl -s -w ' HTTP %{http_code}' -X POST -H "X-API-Key: $BK" \
	    http://127.0.0.1:8000/api/v1/users/boot1/sync/trigger)
	echo "trigger: $out"
	case $out in *"HTTP 503"|*"HTTP 000") return 1 ;; esac
}
check "a chrooted worker reaches syncd's control socket" trigger_reaches_syncd

# An Apple Health push over 1 MiB: kore spools it to disk inside the
# chroot, the worker reads it back and stores every sample.
big_push() {
	f=/root/push.json
	{
		printf '{"data":{"metrics":[{"name":"step_count","units":"count",'
		printf '"data":['
		seq 1 20000 | while read -r i; do
			[ "$i" -gt 1 ] && printf ','
			printf '{"qty":%d,"date":"2026-01-01 %02d:%02d:%02d +0000",' \
			    "$i" $((i / 3600 % 24)) $((i / 60 % 60)) $((i % 60))
			printf '"source":"Apple Watch boot-check padding"}'
		done
		printf ']}]}}'
	} >"$f"
	size=$(stat -c %s "$f")
	out=$(curl -s -w ' HTTP %{http_code}' -H "Authorization: Bearer $BK" \
	    -H 'Content-Type: application/json' --data-binary "@$f" \
	    http://127.0.0.1:8000/api/v1/ingest)
	echo "push of $size bytes: $out"
	[ "$size" -gt 1048576 ] || return 1
	case $out in *"HTTP 200") ;; *) return 1 ;; esac
	n=$(runuser -u postgres -- psql -X -At -d polarflow -c \
	    "SELECT count(*) FROM health_samples WHERE user_id = 'boot1'")
	echo "samples stored: $n"
	[ "$n" = 20000 ]
}
check "a chrooted worker takes a spooled Apple Health push" big_push

# Each daemon's database role, through peer authentication as installed.
check "_polarapi selects users" psql_as _polarapi "SELECT user_id FROM users"
refuse "_polarapi cannot select a token column" \
    psql_as _polarapi "SELECT access_token_enc FROM users"
refuse "_polarapi cannot write synced data" psql_as _polarapi \
    "INSERT INTO sleep (user_id, date) VALUES ('x', current_date)"
refuse "_polaranalytics cannot write synced data" psql_as _polaranalytics \
    "INSERT INTO sleep (user_id, date) VALUES ('x', current_date)"
refuse "_polaranalytics cannot select a token column" \
    psql_as _polaranalytics "SELECT access_token_enc FROM users"
check "_polarsync selects a token column" \
    psql_as _polarsync "SELECT access_token_enc FROM users"

# systemd's own rating of each unit's sandbox.
for d in syncd analyticsd apid; do
	rated() {
		systemd-analyze security --no-pager "polarflow-$1.service" |
		    tail -n 1 | tee -a "$L" | grep -Eq ' (OK|SAFE|PERFECT)\b'
	}
	check "polarflow-$d: systemd-analyze security OK or better" rated "$d"
done

journalctl -b --no-pager -u 'polarflow-*' >>"$L" 2>&1
echo done >>"$R"
systemctl poweroff
