#!/bin/bash
# An ISO that changes while isoboot-menu sends it: truncated (as `truncate -s 0` or a `cp` over
# it does) or rewritten in place. The response must end at once (the connection closed, the
# client told by a short body), with a warning naming the ISO, no CPU spent afterwards, no
# socket left behind, only the bytes sent in the access entry, and never a byte of the new
# content under the old validators: what the client got is a prefix of the old file. Also for a
# file inside an ISO (/iso/<id>/files/...).
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
need_cmd systemd-socket-activate curl ss cmp xorriso

# Four ISOs of 160 MiB of random data each (a file inside them is most of it): three the test
# changes, one it leaves alone (guarded: its SHA-256 must not change).
mkdir -p "$TMP/tree" "$TMP/iso" "$TMP/state"
head -c $((160 << 20)) /dev/urandom >"$TMP/tree/data.bin"
xorriso -as mkisofs -R -o "$TMP/orig.iso" "$TMP/tree" >/dev/null 2>&1
for n in shrink rewrite inner steady; do cp "$TMP/orig.iso" "$TMP/iso/$n.iso"; done
write_config "$TMP/c.conf" "$TMP/iso" "$TMP/state"
"$SCAN" --config "$TMP/c.conf" 2>/dev/null
guard_isos "$TMP/iso/steady.iso"
CAT=$TMP/state/catalog
SIZE=$(stat -c %s "$TMP/orig.iso")

PORT=$(free_port 48600)
menu_start "$TMP/c.conf" "$PORT" "$TMP/log" || { cat "$TMP/log"; fail "isoboot-menu does not listen"; finish; }
# The daemon itself (not the timeout wrapper of MENU_PID, whose ticks say nothing);
# systemd-socket-activate execs it at the first connection.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$MENU_DAEMON/stat"; }

# download NAME URL CHANGE...: a slow download (20 MB/s) of URL; after a second, CHANGE runs.
# Checks that the download ends within 5 s of the change, short; GOT is the bytes received.
download() {
	local name=$1 url=$2 start end rc=0 got
	shift 2
	curl -s --limit-rate 20M --max-time 60 -o "$TMP/$name.out" "$url" &
	local cpid=$!
	sleep 1
	"$@"
	start=$(date +%s)
	wait "$cpid" || rc=$?
	end=$(date +%s)
	got=$(stat -c %s "$TMP/$name.out")
	check "$name: the download ended within 5 s of the change ($((end - start)) s)" \
		test $((end - start)) -le 5
	check "$name: curl saw a short body (exit $rc, $got bytes)" test "$rc" = 18
	GOT=$got
}

# --- 1. Truncated during the download.
B=http://127.0.0.1:$PORT
ID=$(catalog_id_of "$CAT" shrink.iso)
download shrink "$B/iso/$ID/shrink.iso" truncate -s 0 "$TMP/iso/shrink.iso"
check "shrink: what arrived is the old file's beginning" \
	cmp -s "$TMP/shrink.out" <(head -c "$GOT" "$TMP/orig.iso")
check "the process measured is isoboot-menu" test "$(cat "/proc/$MENU_DAEMON/comm")" = isoboot-menu
t0=$(cpu_ticks)
sleep 2
t1=$(cpu_ticks)
check "shrink: the menu is idle afterwards ($((t1 - t0)) ticks in 2 s)" test $((t1 - t0)) -le 20
check "shrink: no socket left in CLOSE-WAIT" \
	test -z "$(ss -Htn state close-wait "( sport = :$PORT )")"
check "shrink: a warning names the ISO" grep -q "The ISO $ID shrank during a download" "$TMP/log"
entry=$(grep "GET iso $ID whole" "$TMP/log" | tail -n1)
bytes=$(sed -n 's/.*: 200, \([0-9]*\) bytes.*/\1/p' <<<"$entry")
check "shrink: the access entry counts what was sent ($bytes of $SIZE bytes)" \
	test -n "$bytes" -a "${bytes:-0}" -lt "$SIZE"
check "shrink: the access entry says it ended early" grep -q "closed before the end" <<<"$entry"

# --- 2. Rewritten in place (same size, new bytes) during the download.
ID=$(catalog_id_of "$CAT" rewrite.iso)
download rewrite "$B/iso/$ID/rewrite.iso" \
	dd if=/dev/urandom of="$TMP/iso/rewrite.iso" bs=1M count=160 conv=notrunc status=none
check "rewrite: no byte of the new content was sent ($GOT bytes, all the old file's)" \
	cmp -s "$TMP/rewrite.out" <(head -c "$GOT" "$TMP/orig.iso")
check "rewrite: a warning names the ISO" grep -q "The ISO $ID changed during a download" "$TMP/log"

# --- 3. A file inside an ISO, the ISO truncated.
ID=$(catalog_id_of "$CAT" inner.iso)
download inner "$B/iso/$ID/files/data.bin" truncate -s 1M "$TMP/iso/inner.iso"
check "inner: what arrived is the old file's beginning" \
	cmp -s "$TMP/inner.out" <(head -c "$GOT" "$TMP/tree/data.bin")
check "inner: a warning names the ISO" grep -q "The ISO $ID shrank during a download" "$TMP/log"

# --- The menu still serves, the ISO left alone whole.
check "the menu still answers" test "$(curl -s -o /dev/null -w '%{http_code}' "$B/boot.ipxe")" = 200
ID=$(catalog_id_of "$CAT" steady.iso)
check "steady: served whole, unchanged" \
	cmp -s "$TMP/orig.iso" <(curl -s --max-time 60 "$B/iso/$ID/steady.iso")
# On a failure, what the menu said about the downloads, for CI's excerpt.
[ "$FAILS" = 0 ] || grep -E "during a download|GET iso" "$TMP/log" | sed 's/^/  log: /'
finish
