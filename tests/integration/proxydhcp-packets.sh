#!/bin/bash
# isoboot-proxydhcp against crafted DHCP requests from a real peer (scapy), in two network
# namespaces of the test's own joined by two veth pairs: the server has 192.0.2.1/24 on vs1 and
# 198.51.100.1/24 on vs2 (multi-homed); the client side sends and sniffs raw frames on vc1 and
# vc2 (192.0.2.100/24 and 198.51.100.100/24, which answer ARP for the unicast replies of port
# 4011). No route leads anywhere else.
#
# Phases, each with the daemon started afresh:
#   full        systemd-socket-activate --datagram -l 67 -l 4011 (dual-stack [::] sockets, as
#               ListenDatagram=67 makes them): every firmware class, iPXE, port 4011 from ports
#               68 and 4011, REQUESTs on 67, wrong vendor class, no option 93, unknown and
#               unserved architectures, HTTPClient, malformed and oversized packets
#   listen      --listen 0.0.0.0:67,0.0.0.0:4011 (IPv4 sockets): the main cases again
#   interfaces  [proxydhcp] interfaces = vs2
#   subnets     [proxydhcp] subnets = 192.0.2.0/24
# The server's log must have one line per answer and a "not served" line per unserved client,
# a debug line per malformed packet, and no crash. PD_KEEP=DIR keeps the logs (copied there).
# cleanup and the check helpers are called indirectly (trap, check, ck): SC2317.
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh disable=SC2317
. "$(dirname "$0")/../lib/common.sh"
need_root
need_cmd ip timeout systemd-socket-activate
PD=$BUILD/src/proxydhcp/isoboot-proxydhcp
[ -x "$PD" ] || skip "isoboot-proxydhcp is not built ($PD)"
PY=
for p in /usr/bin/python3 python3; do
	if command -v "$p" >/dev/null && "$p" -c 'import scapy.all' 2>/dev/null; then PY=$p; break; fi
done
[ -n "$PY" ] || skip "needs scapy (Debian: python3-scapy)"

NS_S=isobp-$$-s
NS_C=isobp-$$-c
PD_PID=
cleanup() {
	stop_pd
	local ns p
	for ns in "$NS_S" "$NS_C"; do
		[ -e "/run/netns/$ns" ] || continue
		# Only this test runs anything in its own namespaces.
		for p in $(ip netns pids "$ns" 2>/dev/null); do kill "$p" 2>/dev/null || true; done
		ip netns del "$ns" 2>/dev/null || true
	done
	[ -z "${PD_KEEP:-}" ] || cp -r "$TMP" "$PD_KEEP"
	cleanup_tmp
}
trap 'exit 130' INT TERM
trap cleanup EXIT

for ns in "$NS_S" "$NS_C"; do
	[ ! -e "/run/netns/$ns" ] || skip "netns $ns exists"
done
if ! { ip netns add "$NS_S" && ip netns add "$NS_C"; }; then skip "cannot create network namespaces"; fi
setup_net() {
	local i
	for i in 1 2; do
		ip link add "vs$i" netns "$NS_S" type veth peer name "vc$i" netns "$NS_C" || return 1
	done
	ip -n "$NS_S" link set lo up && ip -n "$NS_C" link set lo up &&
		ip -n "$NS_S" addr add 192.0.2.1/24 dev vs1 &&
		ip -n "$NS_S" addr add 198.51.100.1/24 dev vs2 &&
		ip -n "$NS_C" addr add 192.0.2.100/24 dev vc1 &&
		ip -n "$NS_C" addr add 198.51.100.100/24 dev vc2 &&
		for i in 1 2; do
			ip -n "$NS_S" link set "vs$i" up && ip -n "$NS_C" link set "vc$i" up || return 1
		done
}
setup_net || skip "cannot set up the veth pairs"
SMAC1=$(ip -n "$NS_S" -br link show vs1 | awk '{print $3}')
SMAC2=$(ip -n "$NS_S" -br link show vs2 | awk '{print $3}')

# start_pd LOG CMD...: CMD (the daemon, or systemd-socket-activate running it) in the server
# namespace; waits until ports 67 and 4011 are bound.
start_pd() {
	local log=$1 i
	shift
	ip netns exec "$NS_S" timeout -k 5 300 "$@" >"$log" 2>&1 &
	PD_PID=$!
	for i in $(seq 50); do
		[ "$(ip netns exec "$NS_S" ss -Hlun '( sport = :67 or sport = :4011 )' | wc -l)" -ge 2 ] &&
			break
		sleep 0.1
	done
	# systemd starts the daemon on the first datagram, which was queued before the daemon
	# turned IP_PKTINFO on (systemd's PassPacketInfo=yes would, systemd-socket-activate
	# cannot): that one is dropped. A datagram of the test's own takes its place.
	ip netns exec "$NS_S" bash -c 'printf x >/dev/udp/127.0.0.1/67' 2>/dev/null || true
	for i in $(seq 50); do
		grep -q 'Answering PXE clients' "$log" && return 0
		sleep 0.1
	done
	return 1
}
stop_pd() {
	[ -n "$PD_PID" ] || return 0
	kill "$PD_PID" 2>/dev/null || true
	local i
	for i in $(seq 50); do kill -0 "$PD_PID" 2>/dev/null || break; sleep 0.1; done
	kill -9 "$PD_PID" 2>/dev/null || true
	wait "$PD_PID" 2>/dev/null || true
	PD_PID=
}

# run_phase NAME: the scapy client for this phase; its ok/FAIL lines count as ours.
run_phase() {
	local out=$TMP/scapy-$1.out rc=0
	ip netns exec "$NS_C" timeout 180 "$PY" "$SRC/tests/integration/proxydhcp-scapy.py" "$1" \
		vc1 vc2 "$SMAC1" "$SMAC2" >"$out" 2>&1 || rc=$?
	cat "$out"
	FAILS=$((FAILS + $(grep -c '^FAIL:' "$out" || true)))
	if [ "$rc" != 0 ] && ! grep -q '^FAIL:' "$out"; then
		fail "scapy phase $1 exited with $rc"
	fi
	[ "$(grep -c '^ok:' "$out" || true)" -gt 0 ] || fail "scapy phase $1 checked nothing"
}

# alive NAME: the daemon still runs (no crash on anything it was sent).
alive() { check "$1: isoboot-proxydhcp still running" kill -0 "$PD_PID"; }

# mac PHASE CASE: the client MAC of a scapy case.
mac() { printf '52:54:00:a0:%02x:%02x' "$1" "$2"; }

CONF=$TMP/isoboot.conf
: >"$CONF"

# --- Phase full: as the socket unit passes them ([::]:67 and [::]:4011, dual-stack).
LOG=$TMP/full.log
start_pd "$LOG" systemd-socket-activate --datagram -l 67 -l 4011 "$PD" --config "$CONF" --debug ||
	{ cat "$LOG"; fail "isoboot-proxydhcp did not listen on 67 and 4011"; finish; }
run_phase full
alive full
check "full: answers logged with MAC, architecture and boot file" \
	grep -qF "PXE client $(mac 1 1) (arch 0, BIOS) on vs1: pxelinux.0, next-server 192.0.2.1 (DHCPOFFER to 255.255.255.255:68)" "$LOG"
check "full: iPXE sent to the menu URL" \
	grep -qF "iPXE client $(mac 1 3) (arch 0, BIOS) on vs1: http://192.0.2.1/boot.ipxe" "$LOG"
check "full: port 4011 answered by unicast ACK" \
	grep -qF "PXE client $(mac 1 4) (arch 7, x86-64 UEFI) on vs1: snponly.efi, next-server 192.0.2.1 (DHCPACK to 192.0.2.100:68)" "$LOG"
check "full: second network answered with its own address" \
	grep -qF "PXE client $(mac 1 5) (arch 0, BIOS) on vs2: pxelinux.0, next-server 198.51.100.1" "$LOG"
check "full: unknown architecture logged as not served" \
	grep -qF "PXE client $(mac 1 14) (arch 12) on vs1 not served" "$LOG"
check "full: IA32 UEFI logged as not served" \
	grep -qF "PXE client $(mac 1 15) (arch 6, IA32 UEFI) on vs1 not served: no boot file for IA32 UEFI clients" "$LOG"
check "full: ARM64 UEFI answered with ipxe-arm64.efi" \
	grep -qF "PXE client $(mac 1 16) (arch 11, ARM64 UEFI) on vs1: ipxe-arm64.efi, next-server 192.0.2.1 (DHCPOFFER to 255.255.255.255:68)" "$LOG"
check "full: iPXE on ARM64 sent to the menu URL" \
	grep -qF "iPXE client $(mac 1 22) (arch 11, ARM64 UEFI) on vs1: http://192.0.2.1/boot.ipxe" "$LOG"
check "full: x86-64 UEFI HTTP Boot answered with the menu's iPXE URL" \
	grep -qF "HTTP Boot client $(mac 1 17) (arch 16, x86-64 UEFI HTTP) on vs1: http://192.0.2.1/boot/ipxe-x64.efi" "$LOG"
check "full: IA32 UEFI HTTP Boot logged as not served" \
	grep -qF "HTTP Boot client $(mac 1 18) (arch 15, IA32 UEFI HTTP) on vs1 not served: no boot file for this UEFI HTTP Boot client architecture" "$LOG"
check "full: ARM64 UEFI HTTP Boot answered with the menu's ARM64 iPXE URL" \
	grep -qF "HTTP Boot client $(mac 1 23) (arch 19, ARM64 UEFI HTTP) on vs1: http://192.0.2.1/boot/ipxe-arm64.efi" "$LOG"
check "full: no option 93 logged as not served" \
	grep -qF "PXE client $(mac 1 13) (arch unknown) on vs1 not served: no client architecture" "$LOG"
check "full: wrong vendor class ignored (debug)" \
	grep -qF "Ignored DHCPDISCOVER from $(mac 1 11) on vs1 (port 67): not a PXE client (vendor class)" "$LOG"
n=$(grep -c '^isoboot-proxydhcp: Dropped ' "$LOG" || true)
check "full: 17 malformed or oversized packets dropped with a debug line ($n)" test "$n" -ge 17
check "full: oversized packet dropped as such" grep -q 'Dropped 1[0-9]* bytes .*: oversized' "$LOG"
check "full: option overloading dropped as such" grep -qF 'option overloading (option 52)' "$LOG"
check "full: no error or warning" sh -c "! grep -E 'error|warning' '$LOG'"
check "full: the activating datagram, without packet information, dropped with a notice" \
	grep -qF "Dropped a datagram from 127.0.0.1 without packet information" "$LOG"
stop_pd
echo "--- log of phase full (last lines)"
tail -n 5 "$LOG"

# --- Phase listen: the daemon opens its own IPv4 sockets.
LOG=$TMP/listen.log
start_pd "$LOG" "$PD" --config "$CONF" --debug --listen 0.0.0.0:67,0.0.0.0:4011 ||
	{ cat "$LOG"; fail "isoboot-proxydhcp --listen did not bind 67 and 4011"; finish; }
run_phase listen
alive listen
check "listen: IPv4 sockets answered on both networks" \
	grep -qF "PXE client $(mac 2 5) (arch 0, BIOS) on vs2: pxelinux.0, next-server 198.51.100.1" "$LOG"
stop_pd

# --- Phases interfaces and subnets.
printf '[proxydhcp]\ninterfaces = vs2\narm64_boot =\n' >"$TMP/ifaces.conf"
LOG=$TMP/interfaces.log
start_pd "$LOG" systemd-socket-activate --datagram -l 0.0.0.0:67 -l 0.0.0.0:4011 \
	"$PD" --config "$TMP/ifaces.conf" --debug ||
	{ cat "$LOG"; fail "isoboot-proxydhcp did not start with interfaces = vs2"; finish; }
run_phase interfaces
check "interfaces: the first network ignored, with the reason" \
	grep -qF "from $(mac 3 1) on vs1 (port 67): interface not in [proxydhcp] interfaces" "$LOG"
check "interfaces: arm64_boot empty, ARM64 UEFI not served, with the key named" \
	grep -qF "PXE client $(mac 3 3) (arch 11, ARM64 UEFI) on vs2 not served: no boot file for ARM64 UEFI clients ([proxydhcp] arm64_boot is empty)" "$LOG"
stop_pd
printf '[proxydhcp]\nsubnets = 192.0.2.0/24\n' >"$TMP/subnets.conf"
LOG=$TMP/subnets.log
start_pd "$LOG" systemd-socket-activate --datagram -l 0.0.0.0:67 -l 0.0.0.0:4011 \
	"$PD" --config "$TMP/subnets.conf" --debug ||
	{ cat "$LOG"; fail "isoboot-proxydhcp did not start with subnets"; finish; }
run_phase subnets
check "subnets: the second network ignored, with the reason" \
	grep -qF "from $(mac 4 2) on vs2 (port 67): subnet not in [proxydhcp] subnets" "$LOG"
stop_pd

# --- Bad start-ups: an IPv6-only socket, a bad configuration.
rc=0
ip netns exec "$NS_S" timeout 20 "$PD" --config "$CONF" --listen '[::1]:6767' >"$TMP/v6.log" 2>&1 || rc=$?
check "an IPv6-only socket is refused (exit $rc)" test "$rc" = 1
check "an IPv6-only socket: says why" grep -q 'IPv6-only; DHCPv4 needs' "$TMP/v6.log"
printf '[proxydhcp]\nsubnets = 192.0.2.1/24\n' >"$TMP/bad.conf"
rc=0
ip netns exec "$NS_S" timeout 20 "$PD" --config "$TMP/bad.conf" --listen 0.0.0.0:6767 >"$TMP/bad.log" 2>&1 || rc=$?
check "a bad [proxydhcp] key stops it (exit $rc)" test "$rc" = 1
check "a bad [proxydhcp] key: file:line: message" grep -qF "$TMP/bad.conf:2: subnets: '192.0.2.1/24' has host bits set" "$TMP/bad.log"
# Under ASan/UBSan (build-asan), reports land in the logs, leaks at exit after SIGTERM.
check "no sanitizer report in any daemon log" \
	sh -c "! grep -lE 'Sanitizer|runtime error' '$TMP'/*.log"
finish
