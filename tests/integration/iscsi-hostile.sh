#!/bin/bash
# isoboot-iscsi, started as systemd starts it, against hostile and broken clients on the wire:
# every connection gets a protocol-correct refusal or a clean close, one log line, and its
# process exits; none crashes or hangs.
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=../lib/iscsi.sh
. "$(dirname "$0")/../lib/iscsi.sh"
need_cmd systemd-socket-activate python3 ss
trap 'stop_targets; cleanup_tmp' EXIT

mkdir -p "$TMP/iso" "$TMP/state"
cp "$(third_party_iso memtest86+x64.iso)" "$TMP/iso/"
write_config "$TMP/c.conf" "$TMP/iso" "$TMP/state"
"$SCAN" --config "$TMP/c.conf" 2>/dev/null
guard_isos "$TMP/iso"
IQN=$(iqn_of "$TMP/state/catalog" memtest86+x64.iso)
start_target "$TMP/c.conf" "$TMP/log" 48100
PORT=$TARGET_PORT

# Each case: python sends bytes and prints what came back, as a verdict string.
run_case() {
	timeout 20 python3 - "$PORT" "$IQN" "$1" <<'PY'
import socket, struct, sys, time
port, iqn, case = int(sys.argv[1]), sys.argv[2], sys.argv[3]

def bhs(op, flags, dsl=0, itt=1, cmdsn=0, rest=b""):
    h = bytes([op, flags, 0, 0, 0]) + struct.pack(">I", dsl)[1:] + b"\0" * 8
    h += struct.pack(">II", itt, 0) + struct.pack(">I", cmdsn) + b"\0" * 4
    h += rest
    return h.ljust(48, b"\0")

def login_pdu(keys, isid=b"\x80\1\2\3\4\5"):
    data = keys
    h = bytearray(bhs(0x43, 0x87, len(data)))
    h[8:14] = isid
    return bytes(h) + data + b"\0" * (-len(data) % 4)

def recv_pdu(s):
    buf = b""
    while len(buf) < 48:
        chunk = s.recv(48 - len(buf))
        if not chunk:
            return None
        buf += chunk
    dsl = int.from_bytes(buf[5:8], "big")
    need = dsl + (-dsl % 4)
    data = b""
    while len(data) < need:
        chunk = s.recv(need - len(data))
        if not chunk:
            return None
        data += chunk
    return buf, data[:dsl]

def closed(s):
    s.settimeout(10)
    try:
        return s.recv(1) == b""
    except OSError:
        return True

s = socket.create_connection(("127.0.0.1", port), timeout=10)
good = b"InitiatorName=iqn.2025-01.test:hostile\0TargetName=" + iqn.encode() + b"\0"
if case == "half-pdu":
    s.sendall(bhs(0x43, 0x87)[:20]); s.close(); print("sent"); sys.exit()
if case == "garbage":
    s.sendall(bytes(range(256)) * 4)
    print("closed" if closed(s) else "open"); sys.exit()
if case == "no-equals":
    s.sendall(login_pdu(b"InitiatorName=iqn.x:y\0TargetNameWithoutValue\0"))
    h, d = recv_pdu(s); print("%02x %04x" % (h[0], int.from_bytes(h[36:38], "big")), "closed" if closed(s) else "open"); sys.exit()
if case == "unknown-iqn":
    s.sendall(login_pdu(b"InitiatorName=iqn.x:y\0TargetName=iqn.2025-01.org.isoboot:nope\0"))
    h, d = recv_pdu(s); print("%02x %04x" % (h[0], int.from_bytes(h[36:38], "big")), "closed" if closed(s) else "open"); sys.exit()
if case == "two-targets":
    s.sendall(login_pdu(good + b"TargetName=iqn.2025-01.org.isoboot:other\0"))
    h, d = recv_pdu(s); print("%02x %04x" % (h[0], int.from_bytes(h[36:38], "big")), "closed" if closed(s) else "open"); sys.exit()
if case == "long-value":
    s.sendall(login_pdu(good + b"MaxBurstLength=" + b"9" * 3000 + b"\0"))
    h, d = recv_pdu(s)
    print("%04x" % int.from_bytes(h[36:38], "big"), b"MaxBurstLength=Reject" in d); sys.exit()
if case == "oversized":
    s.sendall(login_pdu(good))
    recv_pdu(s)
    # A NOP-Out announcing 16 MiB of data, of which 64 KiB come, then the peer vanishes.
    s.sendall(bhs(0x40, 0x80, 0xffffff, itt=9) + b"\0" * 65536)
    h, d = recv_pdu(s); print("%02x %02x" % (h[0], h[2])); s.close(); sys.exit()
if case == "closed-mid-pdu":
    s.sendall(login_pdu(good)); recv_pdu(s)
    s.sendall(bhs(0x01, 0xc0, 0)[:30]); s.close(); print("sent"); sys.exit()
PY
}

check "half a PDU, then close" test "$(run_case half-pdu)" = sent
check "garbage: the connection is closed" test "$(run_case garbage)" = closed
check "a key without '=': initiator error 0200, then closed" test "$(run_case no-equals)" = "23 0200 closed"
check "an unknown IQN: not found 0203, then closed" test "$(run_case unknown-iqn)" = "23 0203 closed"
check "two TargetName keys: initiator error 0200, then closed" test "$(run_case two-targets)" = "23 0200 closed"
check "a 3000-byte value: answered Reject, login goes on" test "$(run_case long-value)" = "0000 True"
check "a 16 MiB data segment: Reject (protocol error)" test "$(run_case oversized)" = "3f 04"
check "closed in the middle of a command PDU" test "$(run_case closed-mid-pdu)" = sent

# Every connection process has exited, and each one logged how it ended.
sleep 1
# The listener's own command line starts with systemd-socket-activate; each connection's
# process is isoboot-iscsi itself.
children=$(pgrep -fx "$ISCSI --config $TMP/c.conf" | wc -l || true)
check "no connection process is left ($children)" test "$children" = 0
check "no crash" bash -c "! grep -qiE 'sanitizer|segfault|core dumped|abort' '$TMP/log'"
check "8 connections, 8 end entries" test "$(grep -cE 'ended(:| before login completed:)' "$TMP/log")" = 8
check "garbage is called a protocol error" grep -q "protocol error" "$TMP/log"
check "the unknown IQN is named in the log" grep -q "refused: target not found (0203): no such target in the catalog" "$TMP/log"
finish
