#!/bin/bash
# An ARM64 UEFI client network-boots an ARM64 ISO from isoboot: QEMU's virt board (Cortex-A57,
# TCG) with AAVMF, its own PXE on a virtio-net NIC without option ROM, where the site's DHCP
# server knows nothing about PXE and isoboot-proxydhcp tells the client what to boot.
#
# Two network namespaces of the test's own, as in proxydhcp-boot.sh:
#   isob-PID        the isoboot server: bridge br0 (192.0.2.1/24, 2001:db8:1::1/64), the tap for
#                   QEMU, and isoboot's services as their socket units start them:
#                   isoboot-proxydhcp  systemd-socket-activate --datagram -l 0.0.0.0:67
#                                      -l 0.0.0.0:4011, with its default [proxydhcp] keys
#                                      (arm64_boot = ipxe-arm64.efi)
#                   in.tftpd           --datagram --inetd -l 192.0.2.1:69; the TFTP root holds
#                                      Debian 13's ipxe-arm64.efi (tests/fetch-trixie.sh)
#                   isoboot-menu       -l 192.0.2.1:80 ([menu] default = arm64.iso, timeout 2)
#                   isoboot-iscsi      --accept -l 192.0.2.1:3260
#   isob-PID-dhcp   the site's DHCP server (vm_site_dhcp_up): dnsmasq, addresses only
# The ISO folder holds arm64.iso (GRUB for ARM64 UEFI, tests/build-test-isos.sh) and small.iso
# (the x86 one); the menu's default is arm64.iso, booted by its default method on UEFI, iSCSI
# sanboot. The chain: AAVMF's PXE asks (client architecture 11) -> the ProxyDHCP answers
# ipxe-arm64.efi -> TFTP -> iPXE asks again as iPXE -> the menu URL -> boot.ipxe -> sanboot of
# arm64.iso over iSCSI -> the ISO's GRUB (BOOTAA64.EFI) prints ISOBOOT-TEST-BOOT-arm64 and
# ISOBOOT-TEST-DONE on the serial console and powers off.
#
# The test passes on those markers, and only when the logs show every link of the chain for the
# VM's MAC and the address dnsmasq leased it: isoboot-proxydhcp answered it as a PXE client of
# architecture 11 with ipxe-arm64.efi and then as iPXE with the menu URL, in.tftpd served it
# ipxe-arm64.efi, isoboot-menu served it boot.ipxe, and isoboot-iscsi logged its login to
# arm64.iso (and none to small.iso). It prints how long each link took from the start of QEMU.
# The menu script as the test fetched it is kept (boot.ipxe) for the record.
#
# Needs root, qemu-system-aarch64 (qemu-system-arm), AAVMF (qemu-efi-aarch64), dnsmasq,
# tftpd-hpa, systemd-socket-activate, python3, curl, and the trixie cache of
# tests/fetch-trixie.sh; skips (exit 77, or fails with ISOBOOT_REQUIRE_ALL=1) without them.
# Environment: ISOBOOT_VM_LOGS (default $BUILD/tests/vm-logs/arm64-boot), CELL_TIMEOUT (seconds
# for the boot, default 150), ISOBOOT_TRIXIE_CACHE (default /var/cache/isoboot-tests/trixie).
# chain_check and the check helpers are called indirectly (vm_boot, ck): SC2317.
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh disable=SC2317
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=../lib/vm.sh
. "$(dirname "$0")/../lib/vm.sh"

need_root
TIMEOUT=${CELL_TIMEOUT:-150}
TRIXIE=${ISOBOOT_TRIXIE_CACHE:-/var/cache/isoboot-tests/trixie}
IPXE_ARM64=$TRIXIE/ipxe/usr/lib/ipxe/ipxe-arm64.efi
MAC=52:54:00:1d:0a:64
vm_need_tools --hint "Debian: qemu-system-arm qemu-efi-aarch64" ip ss timeout curl qemu-system-aarch64 \
	dnsmasq systemd-socket-activate in.tftpd python3 unshare mount /dev/net/tun "$VM_AAVMF_CODE" \
	"$VM_AAVMF_VARS"
[ -s "$IPXE_ARM64" ] || skip "no ipxe-arm64.efi in $TRIXIE (run tests/fetch-trixie.sh)"
need_built "$PD" "$ISCSI" "$MENU" "$SCAN"
# Not $(built_iso ...): its skip message would vanish into the command substitution.
ARM64=$CACHE/built/arm64.iso
SMALL=$CACHE/built/small.iso
[ -s "$ARM64" ] || skip "arm64.iso not built (run tests/build-test-isos.sh after tests/fetch-trixie.sh)"
[ -s "$SMALL" ] || skip "small.iso not built (run tests/build-test-isos.sh)"

vm_test_start arm64-boot vm '*.log' catalog '*.conf' boot.ipxe

# --- The ISO folder, its catalog, the TFTP root.
mkdir -p "$TMP/iso" "$TMP/state" "$TMP/tftp"
for f in "$ARM64" "$SMALL"; do
	place "$f" "$TMP/iso/$(basename "$f")"
done
guard_isos "$TMP/iso"
CONF=$TMP/isoboot.conf
write_config "$CONF" "$TMP/iso" "$TMP/state" "[menu]" "default = arm64.iso" "timeout = 2"
cp "$CONF" "$LOGS/isoboot.conf"
vm_scan "$CONF"
cp "$IPXE_ARM64" "$TMP/tftp/ipxe-arm64.efi"
chmod -R a+rX "$TMP/tftp"

# --- The networks and isoboot's services.
vm_test_netns
vm_site_dhcp "$LOGS/dnsmasq.conf" "$LOGS/dnsmasq.log"
PLOG=$LOGS/isoboot-proxydhcp.log
vm_proxydhcp_start "$CONF" "$PLOG" || finish
TLOG=$LOGS/tftpd.log
vm_tftpd_start "$TMP/tftp" "$TLOG" || { cat "$TLOG"; fail "in.tftpd did not start"; finish; }
ILOG=$LOGS/isoboot-iscsi.log
vm_iscsi_start "$CONF" "$ILOG"
MLOG=$LOGS/isoboot-menu.log
vm_menu_start "$CONF" "$MLOG" || { cat "$MLOG"; fail "nothing listens on 80"; finish; }
log "dnsmasq (no PXE), isoboot-proxydhcp, in.tftpd, isoboot-menu, isoboot-iscsi are up in $NS"
# The menu as a client gets it: ARM64 iPXE has a menu of its own, with only ARM64 ISOs to choose.
ip netns exec "$NS" timeout 10 curl -sS -o "$LOGS/boot.ipxe" "http://$VM_SRV/boot.ipxe" 2>>"$MLOG" || true
ARM_ID=$(catalog_id_of "$TMP/state/catalog" arm64.iso)
# shellcheck disable=SC2016  # iPXE's settings, literally
check "the script sends ARM64 iPXE to its own menu" \
	grep -qx 'iseq ${platform} efi && iseq ${buildarch} arm64 && goto efiarm64-menu ||' "$LOGS/boot.ipxe"
check "the scan found an ARM64 loader in arm64.iso (efi-arch arm64)" \
	test "$(catalog_field "$TMP/state/catalog" "$ARM_ID" efi-arch)" = arm64
check "the ARM64 menu offers arm64.iso, as its default" sh -c "
	sed -n '/^:efiarm64-menu\$/,/^choose/p' '$LOGS/boot.ipxe' | grep -q '^item -- efiarm64-$ARM_ID ' &&
	sed -n '/^:efiarm64-menu\$/,/^choose/p' '$LOGS/boot.ipxe' | grep -q '^choose --default efiarm64-$ARM_ID '"
check "… and lists small.iso (x86-64 only) as not bootable there" sh -c "
	sed -n '/^:efiarm64-menu\$/,/^choose/p' '$LOGS/boot.ipxe' | grep -qx 'item --gap -- small (no ARM64 UEFI loader)'"
check "the x86-64 UEFI menu lists arm64.iso as not bootable there" sh -c "
	sed -n '/^:efi-menu\$/,/^choose/p' '$LOGS/boot.ipxe' | grep -qx 'item --gap -- arm64 (no x86-64 UEFI loader)'"

# --- The boot. Each link of the chain is timed when its line first appears in its log (@IP@:
# the address dnsmasq leased to the VM, once it has).
SER=$LOGS/vm/serial.log
LINKS=(
	"AAVMF: PXE answered by the ProxyDHCP (arch 11)|$PLOG|PXE client $MAC (arch 11, ARM64 UEFI) on br0: ipxe-arm64.efi"
	"in.tftpd: ipxe-arm64.efi requested|$TLOG|RRQ from @IP@ filename ipxe-arm64.efi"
	"iPXE: started|$SER|iPXE initialising devices"
	"iPXE: sent to the menu by the ProxyDHCP|$PLOG|iPXE client $MAC (arch 11, ARM64 UEFI) on br0: http://"
	"isoboot-menu: boot.ipxe served|$MLOG|@IP@ GET menu: 200"
	"isoboot-iscsi: login to arm64.iso|$ILOG|normal session to arm64.iso"
	"GRUB: ISOBOOT-TEST-BOOT-arm64|$SER|ISOBOOT-TEST-BOOT-arm64"
)
declare -A AT=()
T0=0
chain_check() {
	local dir=$1 l what file pat ip done=1
	shift
	# First, so that the links below see at least what made it true.
	vm_serial_has "$dir/serial.log" "$@" || done=0
	ip=$(vm_ip_of "$MAC" "$TMP/dnsmasq.leases")
	for l in "${LINKS[@]}"; do
		IFS='|' read -r what file pat <<<"$l"
		[ -z "${AT[$what]:-}" ] || continue
		if [[ $pat == *@IP@* ]]; then
			[ -n "$ip" ] || continue
			pat=${pat//@IP@/$ip}
		fi
		if grep -qF -- "$pat" "$file" 2>/dev/null; then AT[$what]=$(($(vm_ms) - T0)); fi
	done
	[ "$done" = 1 ]
}
VM_BOOT_NIC="virtio-net-pci,romfile=" VM_BOOT_CHECK=chain_check VM_BOOT_MONITOR='' VM_BOOT_GRACE=5
VM_BOOT_MEM=1024 VM_BOOT_SMP=1
log "QEMU aarch64 virt, cortex-a57, AAVMF, virtio-net $MAC, up to $TIMEOUT s"
T0=$(vm_ms)
if vm_boot arm64-pxe arm64 "$MAC" "$TIMEOUT" "$LOGS/vm" ISOBOOT-TEST-BOOT-arm64 ISOBOOT-TEST-DONE; then
	verdict=PASS
	pass "arm64.iso booted: its GRUB printed ISOBOOT-TEST-BOOT-arm64 and ISOBOOT-TEST-DONE ($(vm_secs 0 "$VM_BOOT_MS") s)"
else
	verdict=FAIL
	vm_boot_failed boot "$SER" ISOBOOT-TEST-BOOT-arm64 ISOBOOT-TEST-DONE
fi
# iPXE leaves its session open (see tests/vm/README.md): end it, so that its end is logged.
vm_iscsi_hangup >/dev/null

# --- The chain in the logs, for this VM.
ip=$(vm_ip_of "$MAC")
ck "dnsmasq leased ${ip:-nothing} to $MAC" test -n "$ip"
ip=${ip:-0.0.0.0}
ck "isoboot-proxydhcp answered AAVMF's PXE (arch 11) with ipxe-arm64.efi" \
	ge1 "$(vm_lines "$PLOG" "PXE client $MAC (arch 11, ARM64 UEFI) on br0: ipxe-arm64.efi, next-server $VM_SRV")"
ck "in.tftpd served ipxe-arm64.efi to $ip" ge1 "$(vm_lines "$TLOG" "RRQ from $ip filename ipxe-arm64.efi")"
ck "isoboot-proxydhcp sent iPXE (arch 11) to the menu" \
	ge1 "$(vm_lines "$PLOG" "iPXE client $MAC (arch 11, ARM64 UEFI) on br0: http://$VM_SRV/boot.ipxe")"
ck "isoboot-menu served boot.ipxe to $ip" ge1 "$(vm_lines "$MLOG" "$ip GET menu" ": 200")"
ck "isoboot-iscsi logged the login of $ip to arm64.iso" ge1 "$(vm_iscsi_logins "$ILOG" "$ip" arm64.iso)"
ck "and none to small.iso (the x86 ISO)" test "$(vm_lines "$ILOG" "Login from $ip (" "to small.iso")" = 0
ck "GRUB powered the VM off after its markers" test "$VM_BOOT_HALTED" = 1
# The console tells the same story from the client's side (EDK2's and iPXE's own words).
ck "serial: AAVMF's PXE loaded ipxe-arm64.efi" vm_serial_has "$SER" "NBP filename is ipxe-arm64.efi" \
	"NBP file downloaded successfully"
ck "serial: iPXE fetched the menu and registered the SAN disk" vm_serial_has "$SER" \
	"http://$VM_SRV/boot.ipxe... ok" "Registered SAN device"

log "logs: $LOGS"
echo "=== timeline from the start of QEMU (s)"
for l in "${LINKS[@]}"; do
	IFS='|' read -r what _ _ <<<"$l"
	if [ -n "${AT[$what]:-}" ]; then
		printf '%6s  %s\n' "$(vm_secs 0 "${AT[$what]}")" "$what"
	else
		printf '%6s  %s\n' - "$what"
	fi
done
echo "=== $verdict arm64-pxe (AAVMF, ProxyDHCP, ipxe-arm64.efi, iSCSI): $(vm_secs 0 "$VM_BOOT_MS") s; logs $LOGS"
finish
