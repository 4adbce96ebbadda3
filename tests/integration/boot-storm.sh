#!/bin/bash
# A boot storm, bounded for CI: a classroom powering on at once. 200 iSCSI sessions (libiscsi,
# through isoboot-iscsi --listen: a process each) and 200 HTTP clients (isoboot-menu under
# systemd-socket-activate, each client from its own 127.0.0.x address), all released together,
# each reading 8 random ranges of up to 256 KiB of five ISOs (one past 4 GiB); every byte is
# compared with the file (tests/tools/storm.c). Passes with 0 errors, both daemons alive, every
# iSCSI process gone once its client logged out, and the ISOs unchanged.
#   STORM_SESSIONS, STORM_CLIENTS, STORM_READS, STORM_MAX_READ (bytes)   to change its size
#   (tests/bench/storm-bench.sh)
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
need_cmd systemd-socket-activate curl ss
STORM=$BUILD/tests/storm
ISCSI=$BUILD/src/iscsi/isoboot-iscsi
MENU=$BUILD/src/menu/isoboot-menu
[ -x "$STORM" ] || skip "tests/tools/storm.c is not built (needs libiscsi-dev)"
SESSIONS=${STORM_SESSIONS:-200}
CLIENTS=${STORM_CLIENTS:-200}
READS=${STORM_READS:-8}
ISCSI_PID=
MENU_PID=
# shellcheck disable=SC2317  # called from the EXIT trap
stop_all() {
	local p
	for p in $ISCSI_PID $MENU_PID; do kill "$p" 2>/dev/null || true; done
	for p in $ISCSI_PID $MENU_PID; do wait "$p" 2>/dev/null || true; done
}
trap 'stop_all; cleanup_tmp' EXIT

mkdir -p "$TMP/iso/lab" "$TMP/state"
cp "$(third_party_iso memtest86+x64.iso)" "$(third_party_iso grub-rescue-cdrom.iso)" "$TMP/iso/"
cp "$(third_party_iso ipxe.iso)" "$(built_iso small.iso)" "$TMP/iso/lab/"
cp --sparse=always "$(built_iso big.iso)" "$TMP/iso/lab/big.iso"
# One process per session, all from 127.0.0.1: the per-source cap (16 by default, as a PC
# opens one or two) is raised, as an admin would for a lab behind one NAT address.
write_config "$TMP/c.conf" "$TMP/iso" "$TMP/state" "[iscsi]" "max_connections = 512" \
	"max_connections_per_source = 512"
"$SCAN" --config "$TMP/c.conf" 2>/dev/null
guard_isos "$TMP/iso"
CAT=$TMP/state/catalog

IPORT=$(free_port 48900)
timeout 900 "$ISCSI" --config "$TMP/c.conf" --listen "127.0.0.1:$IPORT" >"$TMP/iscsi.log" 2>&1 &
ISCSI_PID=$!
MPORT=$(free_port $((IPORT + 1)))
timeout 900 systemd-socket-activate -l "0.0.0.0:$MPORT" "$MENU" --config "$TMP/c.conf" \
	>"$TMP/menu.log" 2>&1 &
MENU_PID=$!
for p in "$IPORT" "$MPORT"; do
	for _ in $(seq 1 100); do ss -Hltn "sport = :$p" | grep -q . && break; sleep 0.1; done
done
# The daemons themselves, children of timeout (systemd-socket-activate execs the menu).
ISCSI_D=$(pgrep -P "$ISCSI_PID" | head -n1)
MENU_D=$(pgrep -P "$MENU_PID" | head -n1)
{ [ -n "$ISCSI_D" ] && [ -n "$MENU_D" ]; } || { cat "$TMP"/*.log; fail "the daemons did not start"; finish; }

images=()
while read -r rel; do
	id=$(catalog_id_of "$CAT" "$rel")
	images+=("$TMP/iso/$rel,$(catalog_field "$CAT" "$id" iqn),/iso/$id/$(basename "$rel")")
done < <(sed -n 's/^path //p' "$CAT")
check "five ISOs catalogued" test "${#images[@]}" = 5

# The children of the iSCSI daemon, sampled while the storm runs: the most at once, and the
# largest resident set of one (kB).
(
	most=0 rss=0
	while kill -0 "$ISCSI_D" 2>/dev/null && [ ! -e "$TMP/storm-done" ]; do
		read -r n r < <(ps --no-headers --ppid "$ISCSI_D" -o rss= |
			awk '{ n++; if ($1 > m) m = $1 } END { print n + 0, m + 0 }')
		[ "$n" -le "$most" ] || most=$n
		[ "$r" -le "$rss" ] || rss=$r
		sleep 0.1
	done
	echo "$most $rss" >"$TMP/kids"
) &
sampler=$!

rc=0
timeout 600 "$STORM" --iscsi "127.0.0.1:$IPORT" --sessions "$SESSIONS" \
	--http "127.0.0.1:$MPORT" --clients "$CLIENTS" --reads "$READS" --max-read "${STORM_MAX_READ:-$((256 << 10))}" \
	--seed "${STORM_SEED:-$$}" "${images[@]}" >"$TMP/storm.out" 2>"$TMP/storm.err" || rc=$?
touch "$TMP/storm-done"
wait "$sampler" || true
sed 's/^/# /' "$TMP/storm.out" "$TMP/storm.err"
read -r most_kids kid_rss <"$TMP/kids" || true
log "iSCSI processes at once: ${most_kids:-?}, largest resident set ${kid_rss:-?} kB;" \
	"menu: $(awk '/^VmHWM:/ { print $2 " " $3 }' "/proc/$MENU_D/status" 2>/dev/null) at most"

check "storm: every client read every range, every byte right (exit $rc)" test "$rc" = 0
check "storm: $SESSIONS iSCSI sessions, 0 errors" \
	grep -qE "^iscsi +clients=$SESSIONS ok=$SESSIONS errors=0 bytes=[1-9]" "$TMP/storm.out"
check "storm: $CLIENTS HTTP clients, 0 errors" \
	grep -qE "^http +clients=$CLIENTS ok=$CLIENTS errors=0 bytes=[1-9]" "$TMP/storm.out" ||
	grep -v ' 20[06] ' "$TMP/menu.log" | tail -n 20 | sed 's/^/# menu: /'
check "the iSCSI daemon ran the sessions side by side (${most_kids:-0} at once)" \
	test "${most_kids:-0}" -ge $((SESSIONS / 4))
check "isoboot-iscsi is still running" kill -0 "$ISCSI_D"
check "isoboot-menu is still running" kill -0 "$MENU_D"
# Each session logged out: its process ends (bounded wait, 20 s).
for _ in $(seq 1 100); do [ -z "$(pgrep -P "$ISCSI_D")" ] && break; sleep 0.2; done
check "every iSCSI process ended after its logout" test -z "$(pgrep -P "$ISCSI_D")"
check "the menu answers a new client at once" \
	test "$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$MPORT/boot.ipxe")" = 200
check "no connection was refused for a limit" \
	bash -c "! grep -qiE 'max_connections|limit reached|refus' '$TMP/iscsi.log' '$TMP/menu.log'"
finish
