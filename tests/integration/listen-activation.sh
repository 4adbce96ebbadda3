#!/bin/bash
# Socket acquisition as systemd does it, with systemd's own systemd-socket-activate: a listening
# socket (Accept=no), one accepted connection per process (Accept=yes), a datagram socket, and
# the --listen fallback without systemd.
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
need_cmd systemd-socket-activate socat
PROBE=$BUILD/tests/listen-probe


# run_case NAME EXPECT CLIENT_ARGS -- STARTER...
run_case() {
	local name=$1 want=$2 client=$3; shift 4
	"$@" > "$TMP/$name.out" 2>&1 &
	local pid=$!
	local got=""
	for _ in $(seq 1 50); do
		got=$(timeout 5 socat -t 2 - "$client" < /dev/null 2>/dev/null || true)
		[ -n "$got" ] && break
		sleep 0.1
	done
	if [ "$name" = datagram ]; then
		got=$(echo hi | timeout 5 socat -t 2 - "$client" 2>/dev/null || true)
	fi
	check "$name: the daemon got a $want" test "$got" = "$want"
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

p=$(free_port 47200)
run_case listening socket "TCP:127.0.0.1:$p" -- timeout 20 systemd-socket-activate -l "127.0.0.1:$p" "$PROBE"
p=$(free_port 47200)
run_case accept connection "TCP:127.0.0.1:$p" -- timeout 20 systemd-socket-activate --accept -l "127.0.0.1:$p" "$PROBE"
p=$(free_port 47200)
run_case fallback socket "TCP:127.0.0.1:$p" -- timeout 20 "$PROBE" --listen "127.0.0.1:$p"
p=$(free_port 47200)
"$PROBE" --datagram --listen "127.0.0.1:$p" > /dev/null 2>&1 &
pid=$!
sleep 0.3
got=$(echo hi | timeout 5 socat -t 2 - "UDP:127.0.0.1:$p" 2>/dev/null || true)
check "datagram fallback: answered" test "$got" = datagram
kill "$pid" 2>/dev/null || true
p=$(free_port 47200)
timeout 20 systemd-socket-activate --datagram -l "127.0.0.1:$p" "$PROBE" --datagram > /dev/null 2>&1 &
pid=$!
sleep 0.3
got=$(echo hi | timeout 5 socat -t 2 - "UDP:127.0.0.1:$p" 2>/dev/null || true)
check "datagram activation: answered" test "$got" = datagram
kill "$pid" 2>/dev/null || true
wait 2>/dev/null || true

# Without a socket from systemd and without --listen, the error is clear.
rc=0
"$PROBE" > "$TMP/none.out" 2>&1 || rc=$?
check "no socket: fails" test "$rc" = 1
check "no socket: says so" grep -q 'No socket: No such file or directory' "$TMP/none.out"

# The daemons share this start-up: no socket is a clear error, --version and --help work.
for d in "$BUILD/src/iscsi/isoboot-iscsi" "$BUILD/src/menu/isoboot-menu"; do
	n=$(basename "$d")
	rc=0
	"$d" --config /dev/null > "$TMP/$n.out" 2>&1 || rc=$?
	check "$n without a socket: exit 1" test "$rc" = 1
	check "$n without a socket: names its socket unit" grep -q "No socket: run under $n.socket, or give --listen ADDR:PORT" "$TMP/$n.out"
	check "$n --version" grep -q "^$n [0-9]" <("$d" --version)
	rc=0
	"$d" --bogus > /dev/null 2>&1 || rc=$?
	check "$n: a bad option is a usage error (2)" test "$rc" = 2
	rc=0
	"$d" --config /dev/null --listen "not-an-address" > "$TMP/$n.bad" 2>&1 || rc=$?
	check "$n: a bad --listen is refused" test "$rc" = 1
done
# The daemons share their signals (src/shared/daemon.c): SIGHUP is logged and ignored, SIGTERM
# stops them with exit status 0. isoboot-iscsi --listen leaves the connections it serves (its
# children) to end by themselves, as under systemd.
mkdir -p "$TMP/sig/iso" "$TMP/sig/state"
write_config "$TMP/sig.conf" "$TMP/sig/iso" "$TMP/sig/state" \
	'[web]' "users = $TMP/sig/users" "assets = $SRC/assets/web"
for d in iscsi menu web proxydhcp; do
	bin=$BUILD/src/$d/isoboot-$d
	p=$(free_port 47300)
	proto=TCP ssflag=-t
	if [ "$d" = proxydhcp ]; then proto=UDP ssflag=-u; fi
	timeout 60 "$bin" --config "$TMP/sig.conf" --listen "127.0.0.1:$p" >"$TMP/sig-$d.log" 2>&1 &
	tpid=$!
	for _ in $(seq 100); do
		ss -Hln "$ssflag" "sport = :$p" | grep -q . && break
		sleep 0.1
	done
	# The daemon, under timeout (which would pass the signals on, but is not what is tested).
	pid=$(pgrep -P "$tpid" || true)
	[ -n "$pid" ] || { fail "isoboot-$d did not start"; continue; }
	client=
	if [ "$d" = iscsi ]; then
		# A connection that stays open: its process must outlive the listener's SIGTERM.
		sleep 30 | socat -u - "TCP:127.0.0.1:$p" 2>/dev/null &
		client=$!
		for _ in $(seq 50); do
			[ -n "$(pgrep -P "$pid")" ] && break
			sleep 0.1
		done
	fi
	kill -HUP "$pid" 2>/dev/null || true
	sleep 0.3
	check "isoboot-$d: SIGHUP is logged and ignored" \
		sh -c "kill -0 $pid 2>/dev/null && grep -q 'SIGHUP ignored' '$TMP/sig-$d.log'"
	kid=$(pgrep -P "$pid" || true)
	kill -TERM "$pid" 2>/dev/null || true
	rc=0
	wait "$tpid" || rc=$?
	check "isoboot-$d: SIGTERM stops it, exit status 0 ($rc)" test "$rc" = 0
	check "isoboot-$d: the stop is logged" grep -q 'Stopping on signal 15' "$TMP/sig-$d.log"
	if [ "$d" = iscsi ]; then
		check "isoboot-iscsi: the connection's process outlives the listener (${kid:-none})" \
			sh -c "[ -n '$kid' ] && kill -0 '$kid' 2>/dev/null"
		check "isoboot-iscsi: the stop says one connection goes on" \
			grep -q 'Stopping on signal 15; 1 connection goes on' "$TMP/sig-iscsi.log"
		# The connection's process has the default signal handling back: SIGTERM ends it.
		[ -z "$kid" ] || kill -TERM "$kid" 2>/dev/null || true
		for _ in $(seq 50); do
			if [ -z "$kid" ] || ! kill -0 "$kid" 2>/dev/null; then break; fi
			sleep 0.1
		done
		check "isoboot-iscsi: the connection's process ends on SIGTERM" \
			sh -c "[ -n '$kid' ] && ! kill -0 '$kid' 2>/dev/null"
		kill "$client" 2>/dev/null || true
	fi
	log "isoboot-$d ($proto 127.0.0.1:$p): $(tr '\n' ' ' <"$TMP/sig-$d.log" | cut -c1-300)"
done
wait 2>/dev/null || true
finish
