#!/bin/bash
# QEMU clients network-boot an ISO from isoboot where the site's DHCP server knows nothing about
# PXE: isoboot-proxydhcp tells them what to boot.
#
# Two network namespaces of the test's own:
#   isob-PID        the isoboot server: bridge br0 (192.0.2.1/24, 2001:db8:1::1/64), the tap for
#                   QEMU, and isoboot's services as their socket units start them:
#                   isoboot-proxydhcp  systemd-socket-activate --datagram -l 0.0.0.0:67
#                                      -l 0.0.0.0:4011, default configuration
#                   in.tftpd           --datagram --inetd -l 192.0.2.1:69, a TFTP root of Debian's
#                                      boot files and assets/tftp
#                   isoboot-menu       -l 192.0.2.1:80 ([menu] default = small.iso, timeout 2)
#                   isoboot-iscsi      --accept -l 192.0.2.1:3260
#   isob-PID-dhcp   the site's DHCP server, another host on the same LAN (a veth into br0):
#                   dnsmasq on 192.0.2.2 with a dhcp-range and nothing else: no boot file, no
#                   next-server, no PXE option, no user-class match (and an IPv6 RA, which saves
#                   iPXE ~13 s per boot)
#
# Cells (QEMU TCG, one at a time, each bounded to CELL_TIMEOUT seconds), all booting small.iso
# (GRUB for BIOS and UEFI that prints markers on the serial port) as the menu's default:
#   a bios-ipxe-rom  SeaBIOS with the e1000's iPXE ROM (QEMU's only BIOS PXE ROM): iPXE asks,
#                    the ProxyDHCP sends it to http://192.0.2.1/boot.ipxe
#   b efi-pxe        OVMF's own PXE (virtio-net, no option ROM): the ProxyDHCP gives
#                    snponly.efi (client architecture 7), which loads over TFTP, asks again as
#                    iPXE and is sent to the menu
#   c efi-ipxe-rom   OVMF with the e1000's iPXE UEFI ROM: straight to the menu
#   d efi-http-boot  UEFI HTTP Boot with no TFTP server at all (in.tftpd stopped) and OVMF's PXE
#                    options off: the ProxyDHCP answers the HTTPClient request with the URL of
#                    iPXE on isoboot-menu (/boot/ipxe-x64.efi), which asks again as iPXE
# A cell passes on the ISO's own output (ISOBOOT-TEST-BOOT-pc|efi, ISOBOOT-TEST-DONE), and only
# when the logs show the chain: dnsmasq leased the VM an address, isoboot-proxydhcp answered its
# MAC with the expected boot file (for b, snponly.efi and then the menu URL), isoboot-menu served
# boot.ipxe to the leased address, and isoboot-iscsi logged its login to small.iso.
#
# Environment: ISOBOOT_VM_LOGS (default $BUILD/tests/vm-logs/proxydhcp-boot), ISOBOOT_VM_CELLS
# ("a c"), CELL_TIMEOUT (default 150), ISOBOOT_REQUIRE_ALL=1.
# cleanup and the check helpers are called indirectly (trap, check, ck): SC2317.
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh disable=SC2317
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=../lib/vm.sh
. "$(dirname "$0")/../lib/vm.sh"

need_root
CELL_TIMEOUT=${CELL_TIMEOUT:-150}
CELLS=${ISOBOOT_VM_CELLS:-a b c d}
TFTP_FILES=(
	pxelinux.0=/usr/lib/PXELINUX/pxelinux.0
	ldlinux.c32=/usr/lib/syslinux/modules/bios/ldlinux.c32
	ipxe.lkrn=/usr/lib/ipxe/ipxe.lkrn
	snponly.efi=/usr/lib/ipxe/snponly.efi
)
vm_need_tools ip ss timeout qemu-system-x86_64 dnsmasq systemd-socket-activate in.tftpd \
	/dev/net/tun /usr/share/seabios/bios-256k.bin "$VM_NIC_ROM" "$VM_OVMF_CODE" "$VM_OVMF_VARS" \
	"${TFTP_FILES[@]#*=}"
need_built "$PD" "$ISCSI" "$MENU" "$SCAN"
SMALL=$(built_iso small.iso)

vm_test_start proxydhcp-boot 'cell-*' '*.log' catalog '*.conf'

# --- The ISO folder, its catalog, the TFTP root.
mkdir -p "$TMP/iso" "$TMP/state"
place "$SMALL" "$TMP/iso/small.iso"
guard_isos "$TMP/iso"
CONF=$TMP/isoboot.conf
write_config "$CONF" "$TMP/iso" "$TMP/state" "[menu]" "default = small.iso" "timeout = 2"
cp "$CONF" "$LOGS/isoboot.conf"
vm_scan "$CONF"
vm_tftp_root "$TMP/tftp" "${TFTP_FILES[@]}"

# --- The networks: isoboot's namespace with the bridge, the DHCP server's joined to it.
vm_test_netns
DCONF=$LOGS/dnsmasq.conf
vm_site_dhcp "$DCONF" "$LOGS/dnsmasq.log"
log "netns $NS: $VM_BR $VM_SRV/24, $VM_TAP; netns $VM_NS_DHCP: dh0 192.0.2.2/24 (site DHCP)"

# --- isoboot's services in its namespace.
PLOG=$LOGS/isoboot-proxydhcp.log
vm_proxydhcp_start "$CONF" "$PLOG" || finish
vm_spawn "$LOGS/tftpd.log" systemd-socket-activate --datagram --inetd -l "$VM_SRV:69" \
	in.tftpd -s "$TMP/tftp"
TFTPD_VM=$VM_LAST_PID
vm_wait_listen u 69 10 || { cat "$LOGS/tftpd.log"; fail "nothing listens on 69/udp"; finish; }
ILOG=$LOGS/isoboot-iscsi.log
vm_iscsi_start "$CONF" "$ILOG"
MLOG=$LOGS/isoboot-menu.log
vm_menu_start "$CONF" "$MLOG" || { cat "$MLOG"; fail "nothing listens on 80"; finish; }
log "dnsmasq (no PXE), isoboot-proxydhcp, in.tftpd, isoboot-menu, isoboot-iscsi are up"

# ID|NAME|FIRMWARE|NIC ("" = e1000 with the iPXE ROM)|EXPECTED PROXYDHCP ANSWERS (;-separated)
CELL_DEFS=(
	"a|bios-ipxe-rom|bios||iPXE client MAC (arch 0, BIOS) on br0: http://$VM_SRV/boot.ipxe"
	"b|efi-pxe|efi|virtio-net-pci,romfile=|PXE client MAC (arch 7, x86-64 UEFI) on br0: snponly.efi, next-server $VM_SRV;iPXE client MAC (arch 7, x86-64 UEFI) on br0: http://$VM_SRV/boot.ipxe"
	"c|efi-ipxe-rom|efi||iPXE client MAC (arch 7, x86-64 UEFI) on br0: http://$VM_SRV/boot.ipxe"
	"d|efi-http-boot|efi|virtio-net-pci,romfile=|HTTP Boot client MAC (arch 16, x86-64 UEFI HTTP) on br0: http://$VM_SRV/boot/ipxe-x64.efi;iPXE client MAC (arch 7, x86-64 UEFI) on br0: http://$VM_SRV/boot.ipxe"
)
mac_of() { vm_cell_mac 1d "$1"; }

results=()
for def in "${CELL_DEFS[@]}"; do
	IFS='|' read -r id name fw nic answers <<<"$def"
	[[ " $CELLS " == *" $id "* ]] || continue
	dir=$LOGS/cell-$id-$name
	CK_CELL="cell $id $name"
	mac=$(mac_of "$id")
	plat=pc
	[ "$fw" = bios ] || plat=efi
	VM_BOOT_NIC=$nic VM_BOOT_CHECK='' VM_BOOT_MONITOR='' VM_BOOT_GRACE=5 VM_BOOT_EXTRA=()
	if [ "$id" = d ]; then
		# UEFI HTTP Boot alone: no TFTP server at all, and OVMF's PXE boot options turned
		# off, so that its HTTP boot option is the first to try.
		vm_stop "$TFTPD_VM"
		ck_tftp=$(ip netns exec "$NS" ss -Hlnu 'sport = :69' | wc -l)
		VM_BOOT_EXTRA=(-fw_cfg "name=opt/org.tianocore/IPv4PXESupport,string=n"
			-fw_cfg "name=opt/org.tianocore/IPv6PXESupport,string=n")
	fi
	log "cell $id $name: $fw, ${nic:-e1000 with iPXE ROM}, $mac"
	if vm_boot "$name" "$fw" "$mac" "$CELL_TIMEOUT" "$dir" "ISOBOOT-TEST-BOOT-$plat" "ISOBOOT-TEST-DONE"; then
		verdict=PASS
		pass "cell $id $name: small.iso booted ($(vm_secs 0 "$VM_BOOT_MS") s)"
	else
		verdict=FAIL
		vm_boot_failed "$CK_CELL" "$dir/serial.log" "ISOBOOT-TEST-BOOT-$plat" ISOBOOT-TEST-DONE
	fi
	vm_iscsi_hangup >/dev/null

	ip=$(vm_ip_of "$mac")
	ck "dnsmasq leased ${ip:-nothing} to $mac" test -n "$ip"
	ip=${ip:-0.0.0.0}
	IFS=';' read -r -a want <<<"$answers"
	for w in "${want[@]}"; do
		w=${w//MAC/$mac}
		ck "isoboot-proxydhcp: $w" ge1 "$(vm_lines "$PLOG" "$w")"
	done
	ck "isoboot-menu served boot.ipxe to $ip" ge1 "$(vm_lines "$MLOG" "$ip GET menu" ": 200")"
	if [ "$id" = d ]; then
		ck "nothing listened on 69/udp" test "$ck_tftp" = 0
		ck "the firmware loaded iPXE over HTTP from isoboot-menu" \
			ge1 "$(vm_lines "$MLOG" "$ip GET ipxe-x64.efi" ": 200")"
	fi
	ck "isoboot-iscsi logged the login of $ip to small.iso" ge1 "$(vm_iscsi_logins "$ILOG" "$ip" small.iso)"
	results+=("$verdict cell $id $name ($fw): $(vm_secs 0 "$VM_BOOT_MS") s; logs $dir")
done

# The site's DHCP server said nothing about booting (it even names itself as next server, which
# the clients must not follow): no PXE setting in its configuration, no PXE option in its replies.
check "dnsmasq's configuration has no boot or PXE setting" sh -c "! grep -Eq \
	'^(dhcp-boot|pxe-|dhcp-option|dhcp-userclass|dhcp-match|dhcp-vendorclass|enable-tftp|tftp-)' '$DCONF'"
check "dnsmasq acknowledged leases" ge1 "$(vm_lines "$LOGS/dnsmasq.log" "sent size:" "option: 53 message-type  5")"
check "dnsmasq sent no option 43, 60, 66 or 67" \
	sh -c "! grep -Eq 'sent size: .* option: (43|60|66|67) ' '$LOGS/dnsmasq.log'"
log "logs: $LOGS"
echo "=== results"
for r in "${results[@]}"; do echo "$r"; done
check "at least one cell ran (${#results[@]})" test "${#results[@]}" -gt 0
finish
