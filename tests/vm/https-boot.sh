#!/bin/bash
# A UEFI client boots an ISO over HTTPS, trusting the site's CA through the firmware: OVMF is
# given the test CA as QEMU's fw_cfg file etc/edk2/https/cacerts (an EFI_SIGNATURE_LIST), which
# it stores in the TlsCaCertificate variable; Debian 13's iPXE (1.21.1) trusts the CAs in that
# variable. Without the CA, the client refuses the menu's certificate and the menu's fallback
# rules apply.
#
# The network namespace of the test: dnsmasq (DHCP, the boot file for UEFI PXE, the menu URL
# for iPXE), in.tftpd with Debian 13's snponly.efi (tests/fetch-trixie.sh), isoboot-menu on
# 192.0.2.1:80 (named "http") and :443 (named "https") as its two socket units pass them, with
# a certificate the test CA signed for 192.0.2.1, and [menu] uefi_boot = http, so that the ISO
# itself is read by iPXE's HTTP SAN (over HTTPS once the menu came so).
# Cells (QEMU TCG, OVMF's own PXE on a virtio NIC without option ROM, each bounded):
#   a ca-prefer     the CA given, https = prefer: the menu and small.iso over HTTPS only
#   b noca-prefer   no CA, https = prefer: iPXE refuses the certificate, the same script goes on
#                   with the HTTP menu, small.iso boots over plain HTTP
#   c noca-require  no CA, https = require: no menu, the explanation on the screen, nothing of
#                   the ISO served
#   d old-ipxe      Debian 12's snponly.efi (2019, no HTTPS at all), https = prefer: the HTTPS
#                   attempt fails at once, small.iso boots over plain HTTP
# Environment: ISOBOOT_VM_LOGS (default $BUILD/tests/vm-logs/https-boot), ISOBOOT_HTTPS_CELLS
# or ISOBOOT_VM_CELLS ("a b c d"), CELL_TIMEOUT (default 150).
# cleanup and the check helpers are called indirectly (trap, ck): SC2317.
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh disable=SC2317
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=../lib/vm.sh
. "$(dirname "$0")/../lib/vm.sh"

need_root
CELL_TIMEOUT=${CELL_TIMEOUT:-150}
CELLS=${ISOBOOT_HTTPS_CELLS:-${ISOBOOT_VM_CELLS:-a b c d}}
vm_need_tools ip ss timeout qemu-system-x86_64 dnsmasq systemd-socket-activate in.tftpd certtool \
	python3 /dev/net/tun "$VM_OVMF_CODE" "$VM_OVMF_VARS" /usr/lib/ipxe/snponly.efi
need_built "$MENU" "$SCAN"
TRIXIE=$(bash "$SRC/tests/fetch-trixie.sh" --quiet) || skip "cannot fetch Debian 13's ipxe (tests/fetch-trixie.sh)"
SNP=$TRIXIE/ipxe/usr/lib/ipxe/snponly.efi
SMALL=$(built_iso small.iso)

vm_test_start https-boot 'cell-*' '*.log' '*.conf' pki

# --- The site CA, the menu's certificate for 192.0.2.1, and the CA as OVMF takes it.
P=$LOGS/pki
mkdir -p "$P"
printf 'cn = "isoboot test site CA"\nca\ncert_signing_key\nexpiration_days = 365\n' >"$P/ca.tmpl"
printf 'cn = "isoboot"\nip_address = %s\ntls_www_server\nsigning_key\nexpiration_days = 365\n' \
	"$VM_SRV" >"$P/srv.tmpl"
if ! { certtool --generate-privkey --key-type rsa --bits 2048 --outfile "$P/ca.key" &&
	certtool --generate-self-signed --load-privkey "$P/ca.key" --template "$P/ca.tmpl" \
		--outfile "$P/ca.pem" &&
	certtool --generate-privkey --key-type rsa --bits 2048 --outfile "$P/srv.key" &&
	certtool --generate-certificate --load-privkey "$P/srv.key" --load-ca-certificate "$P/ca.pem" \
		--load-ca-privkey "$P/ca.key" --template "$P/srv.tmpl" --outfile "$P/srv.pem"; } \
	>"$P/certtool.log" 2>&1; then
	cat "$P/certtool.log"
	fail "certtool cannot make the test CA"
	finish
fi
python3 "$SRC/tests/tools/efi-siglist.py" "$P/ca.pem" "$P/cacerts.esl" ||
	{ fail "cannot write the CA as an EFI signature list"; finish; }

# --- The ISO folder, the TFTP root.
mkdir -p "$TMP/iso" "$TMP/state" "$TMP/tftp"
place "$SMALL" "$TMP/iso/small.iso"
guard_isos "$TMP/iso"
cp "$SNP" "$TMP/tftp/snponly.efi"
cp /usr/lib/ipxe/snponly.efi "$TMP/tftp/snponly-deb12.efi"
chmod -R a+rX "$TMP/tftp"

mac_of() { vm_cell_mac 1e "$1"; }
vm_test_netns
{
	vm_dnsmasq_conf "$TMP/dnsmasq.leases" "$TMP/dnsmasq.pid"
	vm_dnsmasq_efi64
	# Cell d's MAC gets Debian 12's iPXE.
	echo "dhcp-host=$(mac_of d),set:deb12"
	echo "dhcp-boot=tag:!ipxe,tag:efi64,tag:!deb12,snponly.efi,,$VM_SRV"
	echo "dhcp-boot=tag:!ipxe,tag:efi64,tag:deb12,snponly-deb12.efi,,$VM_SRV"
	echo "dhcp-boot=tag:ipxe,http://$VM_SRV/boot.ipxe,,$VM_SRV"
} >"$LOGS/dnsmasq.conf"
vm_dnsmasq_start "$LOGS/dnsmasq.conf" "$LOGS/dnsmasq.log" || { cat "$LOGS/dnsmasq.log"; fail "dnsmasq did not start"; finish; }
vm_spawn "$LOGS/tftpd.log" systemd-socket-activate --datagram --inetd -l "$VM_SRV:69" \
	in.tftpd -s "$TMP/tftp"
vm_wait_listen u 69 10 || { cat "$LOGS/tftpd.log"; fail "nothing listens on 69/udp"; finish; }
SNP_VERSION=$(strings "$SNP" | grep -m1 -oE '^1\.[0-9]+\.[0-9]+[^ ]*' || true)
log "dnsmasq, in.tftpd (Debian 13's snponly.efi ${SNP_VERSION:-?}) in $NS"

# menu_up MODE: isoboot-menu for a cell, as its two socket units start it; sets MLOG, MENU_VM.
menu_up() {
	local conf=$LOGS/isoboot-$1.conf
	write_config "$conf" "$TMP/iso" "$TMP/state" "[menu]" "default = small.iso" "timeout = 2" \
		"uefi_boot = http" "https = $1" "certificate = $P/srv.pem" "key = $P/srv.key"
	"$SCAN" --config "$conf" >"$LOGS/scan.log" 2>&1 || { cat "$LOGS/scan.log"; return 1; }
	MLOG=$LOGS/isoboot-menu-$1.log
	: >"$MLOG"
	vm_spawn "$MLOG" systemd-socket-activate -l "$VM_SRV:80" -l "$VM_SRV:443" --fdname=http:https \
		"$MENU" --config "$conf"
	MENU_VM=$VM_LAST_PID
	vm_wait_listen t 443 10
}

# ID|NAME|CA (yes/no)|MODE
CELL_DEFS=(
	"a|ca-prefer|yes|prefer"
	"b|noca-prefer|no|prefer"
	"c|noca-require|no|require"
	"d|old-ipxe|yes|prefer"
)
results=()
for def in "${CELL_DEFS[@]}"; do
	IFS='|' read -r id name ca mode <<<"$def"
	[[ " $CELLS " == *" $id "* ]] || continue
	dir=$LOGS/cell-$id-$name
	CK_CELL="cell $id $name"
	mac=$(mac_of "$id")
	menu_up "$mode" || { fail "cell $id: isoboot-menu did not start"; continue; }
	VM_BOOT_EXTRA=()
	[ "$ca" = no ] || VM_BOOT_EXTRA=(-fw_cfg "name=etc/edk2/https/cacerts,file=$P/cacerts.esl")
	VM_BOOT_NIC=virtio-net-pci,romfile= VM_BOOT_GRACE=5 VM_BOOT_MEM=1024
	log "cell $id $name: OVMF, CA ${ca}, https = $mode, $mac"
	if [ "$id" = c ]; then
		want=("this server boots over HTTPS only")
	else
		want=(ISOBOOT-TEST-BOOT-efi ISOBOOT-TEST-DONE)
	fi
	verdict=PASS
	if vm_boot "$name" efi "$mac" "$CELL_TIMEOUT" "$dir" "${want[@]}"; then
		pass "cell $id $name: ${want[*]} ($(vm_secs 0 "$VM_BOOT_MS") s)"
	else
		verdict=FAIL
		vm_boot_failed "$CK_CELL" "$dir/serial.log" "${want[@]}"
	fi
	if [ "$id" = c ]; then
		# Stay a little: the client must not get to any ISO after the message.
		sleep 3
	fi
	vm_stop "$MENU_VM"
	ip=$(vm_ip_of "$mac")
	ck "dnsmasq leased ${ip:-nothing} to $mac" test -n "$ip"
	ip=${ip:-0.0.0.0}
	plain_menu=$(vm_lines "$MLOG" "$ip GET menu: 200")
	tls_menu=$(vm_lines "$MLOG" "$ip GET menu (https): 200")
	tls_iso=$(vm_lines "$MLOG" "$ip GET iso " "(https): 20")
	plain_iso=$(vm_lines "$MLOG" "$ip GET iso " ": 20")
	plain_iso=$((plain_iso - tls_iso))
	ck "the plain menu was served once, as the first step" test "$plain_menu" = 1
	case $id in
	a)
		ck "iPXE fetched the menu over HTTPS (the CA verified the certificate)" ge1 "$tls_menu"
		ck "iPXE read small.iso over HTTPS ($tls_iso ranges)" ge1 "$tls_iso"
		ck "and nothing of it over plain HTTP" is0 "$plain_iso"
		;;
	b)
		ck "no menu over HTTPS" is0 "$tls_menu"
		ck "iPXE said why it refused HTTPS" vm_serial_has "$dir/serial.log" "HTTPS failed"
		ck "small.iso was read over plain HTTP ($plain_iso ranges)" ge1 "$plain_iso"
		ck "and nothing over HTTPS" is0 "$tls_iso"
		;;
	d)
		ck "no menu over HTTPS" is0 "$tls_menu"
		ck "the old iPXE could not even try" vm_serial_has "$dir/serial.log" "HTTPS failed"
		ck "small.iso was read over plain HTTP ($plain_iso ranges)" ge1 "$plain_iso"
		;;
	c)
		ck "no menu over HTTPS" is0 "$tls_menu"
		ck "nothing of the ISO was served" is0 "$((plain_iso + tls_iso))"
		ck "no boot menu was shown" sh -c "! grep -q 'ISOBOOT-TEST-BOOT' '$dir/serial.log'"
		;;
	esac
	results+=("$verdict cell $id $name: $(vm_secs 0 "$VM_BOOT_MS") s; logs $dir")
done

log "logs: $LOGS"
echo "=== results"
for r in "${results[@]}"; do echo "$r"; done
check "at least one cell ran (${#results[@]})" test "${#results[@]}" -gt 0
check_guarded_isos
finish
