#!/bin/bash
# Slow headers ("slowloris"): 512 connections (the menu's limit) from four addresses, each trickling a request's
# first line a byte every 2 s. Every byte resets libmicrohttpd's idle timeout, so without a
# guard they would hold their connections for ever and lock new clients out. Checks: a new
# client still gets the menu at once, the trickling connections are closed once their request
# has taken longer than the deadline (15 s), a kept-alive client idle for longer than that
# between two requests is still answered, and the menu then serves normally.
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
need_cmd systemd-socket-activate curl ss python3

mkdir -p "$TMP/iso" "$TMP/state"
cp "$(third_party_iso memtest86+x64.iso)" "$TMP/iso/"
write_config "$TMP/c.conf" "$TMP/iso" "$TMP/state"
"$SCAN" --config "$TMP/c.conf" 2>/dev/null
guard_isos "$TMP/iso"
PORT=$(free_port 48800)
menu_start "$TMP/c.conf" "$PORT" "$TMP/log" "0.0.0.0" || { cat "$TMP/log"; fail "isoboot-menu does not listen"; finish; }

# The attackers: 128 connections (the per-address limit) from each of 127.0.0.2-5, a byte every 2 s, for up to 40 s.
# They report how many were closed by the server, and when the last one was.
timeout 90 python3 - "$PORT" >"$TMP/attack" <<'PY' &
import socket, sys, time
port = int(sys.argv[1])
conns = []
for src in ("127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5"):
    for _ in range(128):
        s = socket.socket()
        s.bind((src, 0))
        s.setblocking(False)
        try:
            s.connect(("127.0.0.1", port))
        except BlockingIOError:
            pass
        conns.append(s)
start = time.time()
line = b"GET /boot.ipxe HTTP/1.1\r\n"
closed, last_closed, i = 0, 0.0, 0
open_ = set(range(len(conns)))
while open_ and time.time() - start < 40:
    for k in list(open_):
        try:
            conns[k].send(line[i % len(line):i % len(line) + 1])
            if conns[k].recv(1) == b"":
                raise ConnectionError
        except BlockingIOError:
            pass
        except OSError:
            open_.discard(k)
            closed += 1
            last_closed = time.time() - start
    i += 1
    time.sleep(2)
print("closed %d of %d, the last after %.0f s" % (closed, len(conns), last_closed))
PY
ATTACK=$!
sleep 6 # all 512 connected and trickling
# A kept-alive client among them: answered once, then idle longer than the header deadline
# (a loaded PC still busy with its last answer) before its next request, which is no trickle.
timeout 60 python3 - "$PORT" >"$TMP/kept" 2>&1 <<'PY' &
import http.client, sys, time
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=10,
                               source_address=("127.0.0.6", 0))
for wait in (0, 18):
    time.sleep(wait)
    try:
        c.request("GET", "/boot.ipxe")
        r = c.getresponse()
        r.read()
        print(r.status, end=" ")
    except (OSError, http.client.HTTPException) as e:
        print("closed:", type(e).__name__, end=" ")
print()
PY
KEPT=$!
n=$(ss -Htn state established "( sport = :$PORT )" | wc -l)
log "$n connections open on the server side"
t0=$(date +%s%N)
code=$(curl -s --max-time 10 -o "$TMP/menu" -w '%{http_code}' "http://127.0.0.1:$PORT/boot.ipxe" || true)
t1=$(date +%s%N)
check "a new client gets the menu while 512 connections trickle (in $(((t1 - t0) / 1000000)) ms)" \
	test "$code" = 200 -a $(((t1 - t0) / 1000000)) -lt 3000
wait "$KEPT" || true
check "a kept-alive client idle for 18 s is answered again ($(cat "$TMP/kept"))" \
	grep -qx '200 200 ' "$TMP/kept"
wait "$ATTACK" || true
log "attackers: $(cat "$TMP/attack")"
closed=$(awk '{ print $2 }' "$TMP/attack")
last=$(awk '{ print $8 }' "$TMP/attack")
check "the server closed every trickling connection ($closed of 512)" test "${closed:-0}" = 512
check "... within the 15 s deadline and the guard's second (the last after ${last:-?} s)" \
	test "${last:-99}" -le 21
check "the closings are logged" grep -q "Closing a connection that sent no whole request" "$TMP/log"
check "the menu serves normally afterwards" \
	test "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/boot.ipxe")" = 200
finish
