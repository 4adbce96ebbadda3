#!/bin/bash
# isoboot-iscsi's bounds on clients that hold processes: the login has a deadline from the
# connection's start (a byte trickled now and then does not extend it), and without systemd
# (--listen) the children are capped in all and per source address, as isoboot-iscsi.socket
# caps them ([iscsi] login_timeout, max_connections, max_connections_per_source).
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=../lib/iscsi.sh
. "$(dirname "$0")/../lib/iscsi.sh"
need_cmd systemd-socket-activate python3 ss
LISTEN_PID=
trap 'stop_targets; [ -z "$LISTEN_PID" ] || kill "$LISTEN_PID" 2>/dev/null; cleanup_tmp' EXIT

mkdir -p "$TMP/iso" "$TMP/state"
cp "$(third_party_iso memtest86+x64.iso)" "$TMP/iso/"
write_config "$TMP/c.conf" "$TMP/iso" "$TMP/state" "[iscsi]" "login_timeout = 3" \
	"max_connections = 3" "max_connections_per_source = 2"
"$SCAN" --config "$TMP/c.conf" 2>/dev/null
guard_isos "$TMP/iso"

# --- 1. The login deadline, under systemd-socket-activate (Accept=yes) as the unit runs it.
start_target "$TMP/c.conf" "$TMP/log" 48150
verdict=$(timeout 30 python3 - "$TARGET_PORT" <<'PY'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.settimeout(1)
start = time.time()
# A login PDU's first bytes, one a second: every byte would reset an inactivity timeout.
for i in range(20):
    try:
        s.send(b"\x43")
        if s.recv(100) == b"":
            break
    except socket.timeout:
        continue
    except OSError:
        break
print("closed after %d s" % round(time.time() - start))
PY
)
log "trickled login: $verdict"
secs=${verdict##* after }
secs=${secs%% *}
check "a login trickled a byte a second is closed at its 3 s deadline ($verdict)" \
	test "${secs:-99}" -ge 2 -a "${secs:-99}" -le 5
check "the deadline is logged" grep -q "login timed out" "$TMP/log"
stop_targets

# --- 2. The caps with --listen: 3 in all, 2 per source address.
PORT=$(free_port 48160)
timeout 120 "$ISCSI" --config "$TMP/c.conf" --listen "0.0.0.0:$PORT" >"$TMP/llog" 2>&1 &
LISTEN_PID=$!
for _ in $(seq 1 100); do ss -Hltn "sport = :$PORT" | grep -q . && break; sleep 0.1; done
if ! ss -Hltn "sport = :$PORT" | grep -q .; then
	cat "$TMP/llog"
	fail "isoboot-iscsi --listen does not listen on port $PORT"
	finish
fi
result=$(timeout 60 python3 - "$PORT" <<'PY'
import socket, sys, time
port = int(sys.argv[1])

def conn(src):
    s = socket.socket()
    s.bind((src, 0))
    s.connect(("127.0.0.1", port))
    s.settimeout(0.8)
    return s

def alive(s):
    # A refused connection is closed at once; a served one waits for its login.
    try:
        return s.recv(1) != b""
    except socket.timeout:
        return True
    except OSError:
        return False

out = []
a1, a2 = conn("127.0.0.1"), conn("127.0.0.1")
time.sleep(0.3)
a3 = conn("127.0.0.1")
out.append("third-from-one-source:%s" % ("served" if alive(a3) else "refused"))
b1 = conn("127.0.0.2")
out.append("other-source:%s" % ("served" if alive(b1) else "refused"))
c1 = conn("127.0.0.3")
out.append("fourth-in-all:%s" % ("served" if alive(c1) else "refused"))
a1.close()
time.sleep(0.5)
c2 = conn("127.0.0.3")
out.append("after-one-left:%s" % ("served" if alive(c2) else "refused"))
print(" ".join(out))
PY
)
log "caps: $result"
check "a third connection from one address is refused" grep -q "third-from-one-source:refused" <<<"$result"
check "another address is served" grep -q "other-source:served" <<<"$result"
check "a fourth connection in all is refused" grep -q "fourth-in-all:refused" <<<"$result"
check "once one leaves, a new one is served" grep -q "after-one-left:served" <<<"$result"
check "refusals are logged" grep -q "Refusing a connection from 127.0.0.1" "$TMP/llog"
kill "$LISTEN_PID" 2>/dev/null || true
wait "$LISTEN_PID" 2>/dev/null || true
LISTEN_PID=
finish
