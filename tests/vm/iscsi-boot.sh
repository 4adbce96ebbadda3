#!/bin/bash
# QEMU boot test: iPXE sanboots ISOs over isoboot-iscsi, with SeaBIOS and with OVMF.
#
# In a network namespace of its own (bridge 192.0.2.1/24 + 2001:db8:1::1/64, a tap for QEMU),
# the test runs dnsmasq (DHCP, and an IPv6 RA that saves iPXE ~13 s per boot) and isoboot-iscsi
# exactly as its socket unit does (Accept=yes: one process per connection, the connection as
# fd 3) under systemd-socket-activate. isoboot-scan catalogues an ISO folder with the three test
# ISOs first. dnsmasq gives each cell's iPXE (user-class iPXE, told apart by the MAC address of
# the VM) the DHCP root path iscsi:192.0.2.1::::<iqn>, so iPXE's autoboot sanboots that target.
#
# Cells (QEMU TCG, one at a time; each bounded to CELL_TIMEOUT seconds):
#   1 bios-rescue  SeaBIOS, grub-rescue-cdrom.iso (El Torito no-emulation): GRUB's own output
#   2 bios-big     SeaBIOS, big.iso: ISOBOOT-TEST-BOOT-pc and the file stored past 4 GiB
#   3 efi-big      OVMF, big.iso: ISOBOOT-TEST-BOOT-efi and the file stored past 4 GiB
#   4 efi-small    OVMF, small.iso: ISOBOOT-TEST-BOOT-efi
# A cell passes only on output of the booted ISO, never because iPXE started. For each boot,
# isoboot-iscsi's log must show the login to that ISO and the end of that session. The VM
# cannot log out (GRUB halts the machine), so once QEMU is gone the test destroys the target's
# half-open TCP connections in the namespace (ss -K) to make the sessions end now rather than
# after ~15 min: iPXE leaves the last response of the boot unacknowledged, so the target's TCP
# keepalive does not apply and only the kernel's retransmission limit (tcp_retries2) would end
# them. On a kernel without CONFIG_INET_DIAG_DESTROY the session ends are not checked.
#
# Needs root, qemu-system-x86, seabios, ipxe-qemu, ovmf, dnsmasq-base, systemd
# (systemd-socket-activate) and iproute2; skips (exit 77) without them.
# Environment:
#   ISOBOOT_VM_LOGS      where serial logs and server logs go (default $BUILD/tests/vm-logs/iscsi-boot)
#   ISOBOOT_VM_CELLS     a subset of cells to run, e.g. "2 4" (default: all)
#   ISOBOOT_ISCSI_DEBUG  1: run isoboot-iscsi with --debug
#   CELL_TIMEOUT         seconds per boot (default 120)
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=../lib/vm.sh
. "$(dirname "$0")/../lib/vm.sh"

need_root
CELL_TIMEOUT=${CELL_TIMEOUT:-120}
CELLS=${ISOBOOT_VM_CELLS:-1 2 3 4}
vm_need_tools ip ss timeout qemu-system-x86_64 dnsmasq systemd-socket-activate /dev/net/tun \
	/usr/share/seabios/bios-256k.bin "$VM_NIC_ROM" "$VM_OVMF_CODE" "$VM_OVMF_VARS"
need_built "$ISCSI" "$SCAN"
SMALL=$(built_iso small.iso)
BIG=$(built_iso big.iso)
RESCUE=$(third_party_iso grub-rescue-cdrom.iso)
[ -s "$CACHE/built/big.marker" ] || skip "big.marker missing (run tests/build-test-isos.sh)"
MARK=$(tr -d '\r\n' <"$CACHE/built/big.marker")

vm_test_start iscsi-boot 'cell-*' isoboot-iscsi.log dnsmasq.log catalog

# --- The ISO folder and its catalog. Hard links when possible; otherwise a sparse copy
# (big.iso is 4.5 GiB apparent, a few MB on disk).
mkdir -p "$TMP/iso/sub" "$TMP/state"
place "$RESCUE" "$TMP/iso/grub-rescue-cdrom.iso"
place "$SMALL" "$TMP/iso/small.iso"
place "$BIG" "$TMP/iso/sub/big.iso"
guard_isos "$TMP/iso"
CONF=$TMP/isoboot.conf
write_config "$CONF" "$TMP/iso" "$TMP/state"
vm_scan "$CONF"
CAT=$TMP/state/catalog
log "catalog: $(grep -c '^iqn ' "$CAT") targets"

# iqn_of RELPATH: the IQN of the catalogued ISO at RELPATH.
iqn_of() {
	local id
	id=$(catalog_id_of "$CAT" "$1")
	[ -n "$id" ] && catalog_field "$CAT" "$id" iqn
}

# --- The cells: NUMBER NAME FIRMWARE ISO(relative path) EXPECTED-STRING...
CELL_DEFS=(
	"1|bios-rescue|bios|grub-rescue-cdrom.iso|Welcome to GRUB!|GNU GRUB|Press enter to boot the selected OS"
	"2|bios-big|bios|sub/big.iso|ISOBOOT-TEST-BOOT-pc|ISOBOOT-TEST-HIGH-BEGIN|$MARK|ISOBOOT-TEST-HIGH-END|ISOBOOT-TEST-DONE"
	"3|efi-big|efi|sub/big.iso|ISOBOOT-TEST-BOOT-efi|ISOBOOT-TEST-HIGH-BEGIN|$MARK|ISOBOOT-TEST-HIGH-END|ISOBOOT-TEST-DONE"
	"4|efi-small|efi|small.iso|ISOBOOT-TEST-BOOT-efi|ISOBOOT-TEST-DONE"
)
mac_of() { printf '52:54:00:1b:00:%02x' "$1"; }

# --- Network, DHCP, iSCSI target.
vm_test_netns
log "netns $NS: $VM_BR $VM_SRV/24 $VM_SRV6/64, $VM_TAP"

for def in "${CELL_DEFS[@]}"; do
	IFS='|' read -r _ _ _ iso _ <<<"$def"
	iqn_of "$iso" >/dev/null || fail "$iso is not in the catalog"
done
[ "$FAILS" = 0 ] || finish
DCONF=$TMP/dnsmasq.conf
{
	vm_dnsmasq_conf "$TMP/dnsmasq.leases" "$TMP/dnsmasq.pid"
	echo "# One tag per cell, from the VM's MAC address; iPXE sanboots the DHCP root path."
	for def in "${CELL_DEFS[@]}"; do
		IFS='|' read -r n _ _ iso _ <<<"$def"
		iqn=$(iqn_of "$iso")
		echo "dhcp-mac=set:cell$n,$(mac_of "$n")"
		echo "dhcp-option-force=tag:ipxe,tag:cell$n,option:root-path,\"iscsi:$VM_SRV::::$iqn\""
	done
} >"$DCONF"
vm_dnsmasq_start "$DCONF" "$LOGS/dnsmasq.log" || { cat "$LOGS/dnsmasq.log"; fail "dnsmasq did not start"; finish; }

ILOG=$LOGS/isoboot-iscsi.log
iscsi_args=()
[ "${ISOBOOT_ISCSI_DEBUG:-0}" = 1 ] && iscsi_args+=(--debug)
vm_iscsi_start "$CONF" "$ILOG" ${iscsi_args[@]+"${iscsi_args[@]}"}
log "dnsmasq and isoboot-iscsi (systemd-socket-activate --accept) listen in $NS"

# session_lines PATTERN...: how many lines of isoboot-iscsi's log contain every PATTERN (fixed
# strings).
session_lines() { vm_lines "$ILOG" "$@"; }

# sessions_ended CELL...: true when, for each CELL ("n|name|iso"), isoboot-iscsi logged the end
# of every session that the cell's VM logged in. Each cell boots with its own MAC, hence its own
# address, which tells its sessions apart in the log.
sessions_ended() {
	local c n iso ip
	for c in "$@"; do
		IFS='|' read -r n _ iso <<<"$c"
		ip=$(vm_ip_of "$(mac_of "$n")")
		[ -n "$ip" ] || continue
		[ "$(session_lines "Session of $ip (" "to $iso ended:")" -ge \
			"$(session_lines "Login from $ip (" "normal session to $iso")" ] || return 1
	done
}

# check_sessions check-end|nocheck-end CELL...: the login and (with check-end) session-end
# checks of each CELL.
check_sessions() {
	local mode=$1 c n name iso ip logins ends
	shift
	for c in "$@"; do
		IFS='|' read -r n name iso <<<"$c"
		ip=$(vm_ip_of "$(mac_of "$n")")
		logins=0 ends=0
		if [ -n "$ip" ]; then
			logins=$(session_lines "Login from $ip (" "normal session to $iso")
			ends=$(session_lines "Session of $ip (" "to $iso ended:")
		fi
		check "cell $n $name: isoboot-iscsi logged $logins login(s) of ${ip:-the VM} to $iso" \
			test "$logins" -ge 1
		[ "$mode" != check-end ] || [ "$logins" = 0 ] ||
			check "cell $n $name: isoboot-iscsi logged the end of each session ($ends of $logins)" \
				test "$ends" -ge "$logins"
		[ -z "$ip" ] || grep -F -e "from $ip " -e "of $ip " "$ILOG" | sed 's/^/#   /' | head -n 20 || true
	done
}

# --- Boot the cells, one at a time (TCG is CPU bound).
results=()
for def in "${CELL_DEFS[@]}"; do
	IFS='|' read -r -a f <<<"$def"
	n=${f[0]} name=${f[1]} fw=${f[2]} iso=${f[3]}
	want=("${f[@]:4}")
	[[ " $CELLS " == *" $n "* ]] || continue
	dir=$LOGS/cell-$n-$name
	log "cell $n $name: $fw sanboot $(iqn_of "$iso") ($iso)"
	# The test ISOs' GRUB powers the machine off after ISOBOOT-TEST-DONE; the rescue ISO waits
	# in its menu.
	VM_BOOT_GRACE=10
	[ "$iso" != grub-rescue-cdrom.iso ] || VM_BOOT_GRACE=0
	if vm_boot "$name" "$fw" "$(mac_of "$n")" "$CELL_TIMEOUT" "$dir" "${want[@]}"; then
		verdict=PASS
	else
		verdict=FAIL
	fi
	secs=$(vm_secs 0 "$VM_BOOT_MS")
	if [ $verdict = PASS ]; then
		pass "cell $n $name: booted $iso ($secs s$([ "$VM_BOOT_HALTED" = 1 ] && echo ', then powered off'))"
	else
		vm_boot_failed "cell $n $name" "$dir/serial.log" "${want[@]}"
	fi
	results+=("$verdict cell $n $name ($fw, $iso): $secs s")

	# The VM is gone without logging out: destroy the target's side of its connections so that
	# the sessions end now.
	err=$(vm_iscsi_hangup)
	if [[ $err == *"not supported"* ]]; then
		log "cell $n $name: this kernel cannot destroy sockets (CONFIG_INET_DIAG_DESTROY); session ends not checked"
		check_sessions nocheck-end "$n|$name|$iso"
	else
		for _ in $(seq 50); do
			sessions_ended "$n|$name|$iso" && break
			sleep 0.1
		done
		check_sessions check-end "$n|$name|$iso"
	fi
	log "serial log: $dir/serial.log"
done

log "isoboot-iscsi log: $ILOG"
log "dnsmasq log: $LOGS/dnsmasq.log"
echo "=== results"
for r in "${results[@]}"; do echo "$r"; done
check "at least one cell ran (${#results[@]})" test "${#results[@]}" -gt 0
finish
