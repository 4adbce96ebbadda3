#!/bin/bash
# A UEFI client with Secure Boot enforcing network-boots through the signed chain isoboot
# offers it: shim (Debian 12's shim-signed, signed by Microsoft) -> GRUB (Debian 13's
# grub-efi-amd64-signed's grubnetx64.efi, signed by Debian) -> assets/tftp/grub/grub.cfg ->
# isoboot-menu's GET /grub.cfg -> the ISO's own kernel and initrd over HTTP, which shim verifies
# for GRUB.
#
# The firmware is OVMF built with Secure Boot (OVMF_CODE_4M.secboot.fd on q35 with SMM, its
# flash writable from SMM only) with Microsoft's keys enrolled and Secure Boot on
# (OVMF_VARS_4M.ms.fd, copied per cell): it runs only what Microsoft's UEFI CA signed.
#
# The network namespace of the test: dnsmasq (DHCP; UEFI PXE, client architecture 7 or 9, gets
# shimx64.efi), in.tftpd on a TFTP root of shimx64.efi, grubx64.efi (tests/fetch-secureboot.sh
# fetches and checks them) and grub/grub.cfg (assets/tftp), its syslog in tftpd.log;
# isoboot-menu on 192.0.2.1:80 as its socket unit starts it, restarted per cell ([menu] default
# = the cell's ISO, timeout = 2).
# Cells (QEMU TCG, OVMF's own PXE on a virtio NIC without option ROM, 2 GiB, 2 CPUs, one at a
# time, each bounded):
#   a debian-live   the Debian live ISO of tests/build-live-isos.sh (Debian's signed kernel)
#                   boots to userland through its recipe: its marker ISOBOOT-LIVE-USERLAND on
#                   the serial console, the recipe's fetch= and the settings file's parameter on
#                   its command line; the kernel says Secure Boot is on and it is locked down
#   b unsigned      an ISO in Ubuntu's layout whose kernel is an unsigned stand-in
#                   (tests/tools/mk-layout-iso.sh casper): GRUB refuses it, the menu says why
#                   and GRUB shows the menu again; no kernel starts
#   c proxydhcp     as b, where the site's DHCP server (dnsmasq in a second namespace) knows
#                   nothing about PXE and isoboot-proxydhcp sends x86-64 UEFI clients shim
#                   ([proxydhcp] efi64_boot = shimx64.efi): the chain reaches the menu's GRUB
#                   configuration and GRUB's refusal as in b
#   d deb12-grub    Debian 12's grubnetx64.efi (GRUB 2.06, no http module) as grubx64.efi behind
#                   the same shim, in a TFTP root of its own: GRUB cannot read the menu, says so,
#                   and returns to the firmware, which goes on with its next boot option
#   e own-loader    an ISO that carries its own signed chain under /EFI/boot/ (a vendor's
#                   layout: the live ISO with shim-signed's shimx64.efi as bootx64.efi, Debian's
#                   monolithic grubx64.efi.signed beside it, and a grub.cfg of its own that must
#                   lose), "method = sanboot" in its settings file, through isoboot-proxydhcp.
#                   First boot: shim and GRUB by PXE as in c; the menu's default is the ISO's own
#                   loader; GRUB asks isoboot-menu to note the choice (/sbnext/MAC/ID) and
#                   restarts. Second boot: isoboot-proxydhcp leaves the client's PXE requests
#                   unanswered and sends its UEFI HTTP Boot to /sb/ID/EFI/BOOT/BOOTX64.EFI; the
#                   ISO's shim loads the ISO's GRUB from there, GRUB reads isoboot's grub.cfg,
#                   and the ISO's kernel starts with Secure Boot on and the recipe's parameters
#   g own-cd-grub   as e with Debian's CD image GRUB (gcdx64.efi.signed, built-in prefix
#                   /boot/grub) as the ISO's GRUB, which asks for its configuration outside
#                   /sb/ID/ (/grub.cfg): isoboot-menu answers that ISO's, by the client's address
#   f own-unsigned  as e with Ubuntu's layout and its unsigned stand-in kernel: the ISO's shim
#                   refuses it, GRUB says so and restarts the client, and a third boot, whose
#                   PXE isoboot-proxydhcp answers again, reaches the menu
# (shim asks for grubx64.efi in the folder of the boot file in the DHCP header's file field;
# dnsmasq sends the boot file as option 67 instead, so shim asks for /grubx64.efi: the chain's
# files stay in the TFTP root.) The cells run in the order a b d c (c changes the DHCP setup).
# Every cell checks its chain in the logs, by the address leased to the cell's MAC: TFTP served
# shimx64.efi, grubx64.efi and grub/grub.cfg; isoboot-menu served grub.cfg (and, in a, the
# kernel, the initrd and the squashfs from inside the ISO); and on the serial console OVMF's
# "NBP filename is shimx64.efi", shim's "Fetching Netboot Image grubx64.efi", the first line of
# assets/tftp/grub/grub.cfg, and GRUB's menu (GNU GRUB).
# A timeline of those steps is printed for each cell.
#
# Needs root, qemu-system-x86, ovmf (its secboot build and Microsoft-keyed variables),
# dnsmasq-base, tftpd-hpa, python3, xorriso, util-linux, iproute2, systemd
# (systemd-socket-activate), and for a the live ISO of tests/build-live-isos.sh; skips (exit 77,
# or fails with ISOBOOT_REQUIRE_ALL=1) without them.
# Environment: ISOBOOT_VM_LOGS (default $BUILD/tests/vm-logs/secureboot-boot), ISOBOOT_SB_CELLS
# or ISOBOOT_VM_CELLS ("a b c d e f g"), CELL_TIMEOUT (b, c, d and each boot of e, f, g; default
# 150),
# LIVE_TIMEOUT (a; default 600), ISOBOOT_LIVE_CACHE, ISOBOOT_SECUREBOOT_CACHE.
# The check helpers are called indirectly (trap, vm_boot, ck): SC2317.
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh disable=SC2317
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=../lib/vm.sh
. "$(dirname "$0")/../lib/vm.sh"

need_root
CELL_TIMEOUT=${CELL_TIMEOUT:-150}
LIVE_TIMEOUT=${LIVE_TIMEOUT:-600}
CELLS=${ISOBOOT_SB_CELLS:-${ISOBOOT_VM_CELLS:-a b c d e f g}}
LIVE_DIR=${ISOBOOT_LIVE_CACHE:-/var/cache/isoboot-tests}/live
# Secure Boot firmware: the code needs SMM (q35) and a flash that only SMM may write.
VM_OVMF_CODE=/usr/share/OVMF/OVMF_CODE_4M.secboot.fd
VM_OVMF_VARS=/usr/share/OVMF/OVMF_VARS_4M.ms.fd
vm_need_tools ip ss timeout qemu-system-x86_64 dnsmasq systemd-socket-activate in.tftpd python3 \
	unshare mount xorriso /dev/net/tun "$VM_OVMF_CODE" "$VM_OVMF_VARS"
need_built "$MENU" "$SCAN" "$PD"
SB=$(bash "$SRC/tests/fetch-secureboot.sh" --quiet) ||
	skip "cannot fetch shim-signed and grub-efi-amd64-signed (tests/fetch-secureboot.sh)"
SHIM=$SB/shim-signed/usr/lib/shim/shimx64.efi.signed
GRUBNET=$SB/grub-efi-amd64-signed/usr/lib/grub/x86_64-efi-signed/grubnetx64.efi.signed
GRUBNET12=$SB/grub-efi-amd64-signed-bookworm/usr/lib/grub/x86_64-efi-signed/grubnetx64.efi.signed
GRUBMONO=$SB/grub-efi-amd64-signed/usr/lib/grub/x86_64-efi-signed/grubx64.efi.signed
GRUBGCD=$SB/grub-efi-amd64-signed/usr/lib/grub/x86_64-efi-signed/gcdx64.efi.signed
[[ " $CELLS " != *" a "* && " $CELLS " != *" e "* && " $CELLS " != *" g "* ]] || [ -s "$LIVE_DIR/debian-live.iso" ] ||
	skip "$LIVE_DIR/debian-live.iso missing (run tests/build-live-isos.sh)"

vm_test_start secureboot-boot 'cell-*' '*.log' '*.conf' catalog

# --- The ISO folder: the live ISO (hard link) with a settings file, the unsigned-kernel ISO.
mkdir -p "$TMP/iso/live" "$TMP/iso/layout" "$TMP/iso/vendor" "$TMP/state"
LIVE_ISO=live/debian-live.iso
UNSIGNED_ISO=layout/ubuntu-24.04.1-desktop-amd64.iso
OWN_ISO=vendor/vendor-live.iso
OWN_UNSIGNED_ISO=vendor/ubuntu-24.04.1-desktop-amd64.iso
OWN_CD_ISO=vendor/vendor-live-cd.iso
OWN_CFG_MARK=ISOBOOT-TEST-THE-ISOS-OWN-GRUB-CFG
if [[ " $CELLS " == *" a "* ]]; then
	place "$LIVE_DIR/debian-live.iso" "$TMP/iso/$LIVE_ISO"
	# A parameter of its own, which the booted kernel's command line must carry.
	printf '[iso]\nappend = isoboot.sidecar=secureboot\n' >"$TMP/iso/$LIVE_ISO.isoboot"
fi
if [[ " $CELLS " == *" b "* || " $CELLS " == *" c "* || " $CELLS " == *" d "* ]]; then
	bash "$SRC/tests/tools/mk-layout-iso.sh" casper "$TMP/iso/$UNSIGNED_ISO" \
		>"$LOGS/mk-layout-iso.log" 2>&1 || { cat "$LOGS/mk-layout-iso.log"; fail "mk-layout-iso.sh casper"; finish; }
fi
# vendor_iso GRUB OUT: the live ISO in a vendor's layout: its own signed shim and GRUB in
# /EFI/boot/ (as a distribution's ISO has them), the rest untouched, its boot catalog replayed;
# its own loader by default, and a parameter the started kernel must carry.
vendor_iso() {
	printf 'echo %s\nsleep 30\n' "$OWN_CFG_MARK" >"$TMP/own-grub.cfg"
	xorriso -indev "$LIVE_DIR/debian-live.iso" -outdev "$TMP/iso/$2" \
		-boot_image any replay -map "$SHIM" /EFI/boot/bootx64.efi \
		-map "$1" /EFI/boot/grubx64.efi -map "$TMP/own-grub.cfg" /EFI/boot/grub.cfg \
		>"$LOGS/xorriso-vendor.log" 2>&1 ||
		{ cat "$LOGS/xorriso-vendor.log"; fail "xorriso: the vendor-layout ISO $2"; finish; }
	printf '[iso]\nmethod = sanboot\nappend = isoboot.sidecar=own-loader\n' >"$TMP/iso/$2.isoboot"
}
[[ " $CELLS " != *" e "* ]] || vendor_iso "$GRUBMONO" "$OWN_ISO"
[[ " $CELLS " != *" g "* ]] || vendor_iso "$GRUBGCD" "$OWN_CD_ISO"
if [[ " $CELLS " == *" f "* ]]; then
	# The same chain around the unsigned stand-in kernel of Ubuntu's layout.
	bash "$SRC/tests/tools/mk-layout-iso.sh" casper "$TMP/casper-f.iso" >"$LOGS/mk-layout-iso-f.log" 2>&1 ||
		{ cat "$LOGS/mk-layout-iso-f.log"; fail "mk-layout-iso.sh casper"; finish; }
	xorriso -indev "$TMP/casper-f.iso" -outdev "$TMP/iso/$OWN_UNSIGNED_ISO" \
		-boot_image any replay -map "$SHIM" /EFI/BOOT/BOOTX64.EFI \
		-map "$GRUBMONO" /EFI/BOOT/grubx64.efi >"$LOGS/xorriso-vendor-f.log" 2>&1 ||
		{ cat "$LOGS/xorriso-vendor-f.log"; fail "xorriso: the unsigned vendor-layout ISO"; finish; }
	printf '[iso]\nmethod = sanboot\n' >"$TMP/iso/$OWN_UNSIGNED_ISO.isoboot"
fi
guard_isos "$TMP/iso"
CONF=$TMP/isoboot.conf
write_config "$CONF" "$TMP/iso" "$TMP/state"
vm_scan "$CONF"
CAT=$TMP/state/catalog

# --- The TFTP root: the signed binaries untouched, under the names the chain asks for, and
# GRUB's first configuration from assets/tftp.
TROOT=$TMP/tftp
TROOT12=$TMP/tftp-deb12
for r in "$TROOT" "$TROOT12"; do
	mkdir -p "$r/grub"
	cp "$SHIM" "$r/shimx64.efi"
	cp "$SRC/assets/tftp/grub/grub.cfg" "$r/grub/grub.cfg"
done
cp "$GRUBNET" "$TROOT/grubx64.efi"
cp "$GRUBNET12" "$TROOT12/grubx64.efi"
chmod -R a+rX "$TROOT" "$TROOT12"
(cd "$SB" && sha256sum --quiet -c SHA256SUMS) >"$LOGS/sha256.log" 2>&1 ||
	{ cat "$LOGS/sha256.log"; fail "the cached signed binaries differ from their SHA256SUMS"; finish; }
check "shimx64.efi in the TFTP root is shim-signed's shimx64.efi.signed" cmp -s "$SHIM" "$TROOT/shimx64.efi"
check "grubx64.efi in the TFTP root is grub-efi-amd64-signed's grubnetx64.efi.signed" \
	cmp -s "$GRUBNET" "$TROOT/grubx64.efi"
check "cell d's grubx64.efi is Debian 12's grubnetx64.efi.signed" cmp -s "$GRUBNET12" "$TROOT12/grubx64.efi"

log "shim-signed $(cat "$SB/shim-signed.version"), grub-efi-amd64-signed $(cat "$SB/grub-efi-amd64-signed.version"), for d $(cat "$SB/grub-efi-amd64-signed-bookworm.version")"

# --- Network: dnsmasq as the site's DHCP server, for cells a, b and d.
mac_of() { vm_cell_mac 5b "$1"; }
vm_test_netns
{
	vm_dnsmasq_conf "$TMP/dnsmasq.leases" "$TMP/dnsmasq.pid"
	vm_dnsmasq_efi64
	echo "dhcp-boot=tag:!ipxe,tag:efi64,shimx64.efi,,$VM_SRV"
} >"$LOGS/dnsmasq.conf"
DHCP_MODE=
dhcp_direct() {
	[ "$DHCP_MODE" != direct ] || return 0
	[ -z "$DHCP_MODE" ] || { fail "the direct DHCP cells run before c"; return 1; }
	vm_dnsmasq_start "$LOGS/dnsmasq.conf" "$LOGS/dnsmasq.log" ||
		{ cat "$LOGS/dnsmasq.log"; fail "dnsmasq did not start"; return 1; }
	DHCP_MODE=direct
}
# For cell c: the site's DHCP server knows nothing about PXE, isoboot-proxydhcp answers.
PLOG=$LOGS/isoboot-proxydhcp.log
dhcp_proxy() {
	local rc=0 pconf=$LOGS/isoboot-proxydhcp.conf
	[ "$DHCP_MODE" != proxy ] || return 0
	[ "$DHCP_MODE" != direct ] || vm_stop "$VM_DNSMASQ_PID"
	vm_site_dhcp_up "$LOGS/dnsmasq-site.conf" "$LOGS/dnsmasq-site.log" || rc=$?
	[ "$rc" = 0 ] || { cat "$LOGS/dnsmasq-site.log"; fail "the site's DHCP server did not start"; return 1; }
	write_config "$pconf" "$TMP/iso" "$TMP/state" "[proxydhcp]" "efi64_boot = shimx64.efi"
	vm_proxydhcp_start "$pconf" "$PLOG" || return 1
	DHCP_MODE=proxy
}

# tftpd_root ROOT LOG: in.tftpd (and its syslog listener) on ROOT, stopping those on another.
TFTP_ROOT='' TFTP_PIDS=()
tftpd_root() {
	local p
	[ "$TFTP_ROOT" != "$1" ] || return 0
	for p in ${TFTP_PIDS[@]+"${TFTP_PIDS[@]}"}; do vm_stop "$p"; done
	rm -f "$TMP/dev/log"
	vm_wait_closed u 69
	TLOG=$2
	vm_tftpd_start "$1" "$TLOG" || { cat "$TLOG"; fail "in.tftpd did not start on $1"; return 1; }
	TFTP_PIDS=("${VM_PIDS[@]: -2}") # the listener and in.tftpd
	TFTP_ROOT=$1
}

# The steps of the chain on the serial console, in order: the time each first appeared.
STEPS=(
	"NBP filename is shimx64.efi"
	"Fetching Netboot Image grubx64.efi"
	"isoboot: the menu from http://$VM_SRV/grub.cfg"
	"GNU GRUB"
)
declare -A STEP_MS
# sb_check DIR STRING...: vm_boot's check; notes when each step appears, and is done when every
# STRING is on the serial console and, when AFTER is set, AGAIN shows after its last occurrence.
sb_check() {
	local dir=$1 text s now
	shift
	text=$(vm_serial_text "$dir/serial.log")
	now=$(vm_ms)
	for s in "${steps[@]}" "$@"; do
		[ -n "${STEP_MS[$s]:-}" ] || [[ $text != *"$s"* ]] || STEP_MS[$s]=$((now - CELL_START))
	done
	for s in "$@"; do
		[[ $text == *"$s"* ]] || return 1
	done
	[ -z "${AFTER:-}" ] || [[ ${text##*"$AFTER"} == *"$AGAIN"* ]]
}

# ID|NAME|DHCP (direct or proxy)|boot file|ISO|EXPECTED...
REFUSED="cannot boot with Secure Boot on"
NO_MENU="isoboot: cannot read the menu from http://$VM_SRV/grub.cfg"
CELL_DEFS=(
	"a|debian-live|direct|shimx64.efi|$LIVE_ISO|Secure boot enabled|ISOBOOT-LIVE-USERLAND family=live-boot"
	"b|unsigned|direct|shimx64.efi|$UNSIGNED_ISO|$REFUSED"
	"c|proxydhcp|proxy|shimx64.efi|$UNSIGNED_ISO|$REFUSED"
	"d|deb12-grub|direct|shimx64.efi|$UNSIGNED_ISO|$NO_MENU"
)
# d before c: c leaves the direct DHCP setup for the ProxyDHCP one.
CELL_DEFS=("${CELL_DEFS[0]}" "${CELL_DEFS[1]}" "${CELL_DEFS[3]}" "${CELL_DEFS[2]}")
results=()
for def in "${CELL_DEFS[@]}"; do
	IFS='|' read -r -a f <<<"$def"
	id=${f[0]} name=${f[1]} dhcp=${f[2]} nbp=${f[3]} iso=${f[4]}
	want=("${f[@]:5}")
	[[ " $CELLS " == *" $id "* ]] || continue
	dir=$LOGS/cell-$id-$name
	CK_CELL="cell $id $name"
	mkdir -p "$dir"
	mac=$(mac_of "$id")
	isoid=$(catalog_id_of "$CAT" "$iso")
	[ -n "$isoid" ] || { fail "cell $id $name: $iso is not in the catalog"; continue; }
	if [ "$dhcp" = direct ]; then dhcp_direct || continue; else dhcp_proxy || continue; fi
	if [ "$id" = d ]; then
		tftpd_root "$TROOT12" "$LOGS/tftpd-deb12.log" || continue
	else
		tftpd_root "$TROOT" "$LOGS/tftpd.log" || continue
	fi
	ccfg=$dir/isoboot.conf
	write_config "$ccfg" "$TMP/iso" "$TMP/state" "[menu]" "default = $(basename "$iso")" "timeout = 2"
	MLOG=$dir/isoboot-menu.log
	vm_menu_stop
	vm_menu_start "$ccfg" "$MLOG" || { fail "cell $id $name: isoboot-menu did not listen on $VM_SRV:80"; continue; }
	ip netns exec "$NS" timeout 10 curl -s "http://$VM_SRV/grub.cfg" >"$dir/grub.cfg" 2>/dev/null || true
	tftp_before=$(wc -l <"$TLOG")
	menu_before=$(wc -l <"$MLOG")

	VM_BOOT_NIC=virtio-net-pci,romfile= VM_BOOT_MEM=2048 VM_BOOT_SMP=2 VM_BOOT_CHECK=sb_check
	VM_BOOT_EXTRA=(-machine 'q35,smm=on' -global 'driver=cfi.pflash01,property=secure,value=on')
	tmo=$CELL_TIMEOUT AFTER='' AGAIN=''
	case $id in
	a) tmo=$LIVE_TIMEOUT ;;
	b | c) AFTER=$REFUSED AGAIN="GNU GRUB" ;;              # GRUB's menu again
	d) AFTER="back to the firmware" AGAIN="BdsDxe: loading Boot" ;; # its next boot option
	esac
	STEP_MS=()
	# This cell's steps: its boot file; no menu in d.
	steps=("${STEPS[@]}")
	[ "$id" != d ] || steps=("${STEPS[@]:0:3}")
	steps[0]="NBP filename is $nbp"
	log "cell $id $name: OVMF with Secure Boot, $dhcp DHCP, $iso ($isoid), default of the menu"
	CELL_START=$(vm_ms)
	verdict=PASS
	if vm_boot "$name" efi "$mac" "$tmo" "$dir" "${want[@]}"; then
		pass "cell $id $name: ${want[*]}$([ -z "$AGAIN" ] || echo ", then $AGAIN") ($(vm_secs 0 "$VM_BOOT_MS") s)"
	else
		verdict=FAIL
		vm_boot_failed "$CK_CELL" "$dir/serial.log" "${want[@]}"
	fi
	secs=$(vm_secs 0 "$VM_BOOT_MS")

	ip=$(vm_ip_of "$mac")
	# (grep on a variable, not in a pipeline: with pipefail, the writer's SIGPIPE would count)
	text=$(vm_serial_text "$dir/serial.log")
	on_serial() { grep -qF -- "$1" <<<"$text"; }
	not_on_serial() { ! grep -qE -- "$1" <<<"$text"; }
	marker_line() { grep -a 'ISOBOOT-LIVE-USERLAND' <<<"$text" || true; }
	ck "dnsmasq leased ${ip:-nothing} to $mac" test -n "$ip"
	ip=${ip:-0.0.0.0}
	tnew=$(tail -n +"$((tftp_before + 1))" "$TLOG")
	# shim asks for grubx64.efi; GRUB for /grub/grub.cfg, in its prefix.
	for t in "$nbp" grubx64.efi /grub/grub.cfg; do
		ck "TFTP served $t to $ip" tftp_has "$t"
	done
	for s in "${steps[@]}"; do
		ck "on the serial console: $s" on_serial "$s"
	done
	mnew=$(tail -n +"$((menu_before + 1))" "$MLOG")
	if [ "$id" = d ]; then
		ck "isoboot-menu served nothing to $ip" is0 "$(grep -cF "$ip GET" <<<"$mnew" || true)"
	else
		ck "isoboot-menu served grub.cfg to $ip" menu_has grub.cfg 200
		ck "the client never asked for iPXE's menu" is0 "$(grep -cF "$ip GET menu" <<<"$mnew" || true)"
	fi
	if [ "$dhcp" = proxy ]; then
		ck "isoboot-proxydhcp sent $mac shimx64.efi" ge1 "$(vm_lines "$PLOG" "PXE client $mac" ": shimx64.efi")"
	fi
	case $id in
	a)
		ck "the kernel's EFI stub: UEFI Secure Boot is enabled" on_serial "EFI stub: UEFI Secure Boot is enabled."
		ck "the kernel's own line: secureboot: Secure boot enabled" on_serial "secureboot: Secure boot enabled"
		ck "the kernel's own line: locked down from EFI Secure Boot" \
			on_serial "Kernel is locked down from EFI Secure Boot"
		ck "no line says Secure Boot is off" not_on_serial '[Ss]ecure ?[Bb]oot:? (disabled|is off)'
		# The kernel, the initrd and the squashfs (the catalog's "fetch SIZE PATH" lines).
		while read -r _ _ path; do
			ck "isoboot-menu served $path from inside $iso to $ip" menu_has "file $isoid/$path " 200
		done < <(awk -v id="$isoid" '$1 == "iso" { cur = $2 } cur == id && $1 == "fetch"' "$CAT")
		ck "GRUB loaded the kernel over its own HTTP" \
			on_serial "Command line: BOOT_IMAGE=(http,$VM_SRV)/iso/$isoid/files/"
		ck "the booted kernel's command line fetches from inside the ISO" \
			grep -qF "fetch=http://$VM_SRV/iso/$isoid/files/" <(marker_line)
		ck "the booted kernel's command line has the ISO's settings file's parameter" \
			grep -qE '[ =]isoboot.sidecar=secureboot( |$)' <(marker_line)
		;;
	b | c)
		ck "GRUB fetched the kernel from inside the ISO" menu_has "file $isoid/casper/vmlinuz " 200
		ck "GRUB's own refusal: bad shim signature" on_serial "bad shim signature"
		ck "and not its initrd: the kernel was refused" is0 \
			"$(grep -cF "$ip GET file $isoid/casper/initrd" <<<"$mnew" || true)"
		ck "no kernel started" not_on_serial 'Linux version|Kernel command line'
		;;
	esac
	tl=""
	for s in "${steps[@]}" "${want[@]}"; do
		[ -z "${STEP_MS[$s]:-}" ] || tl+="$(vm_secs 0 "${STEP_MS[$s]}") s $s; "
	done
	log "cell $id $name timeline: ${tl%; }"
	printf '%s\n' "${tl%; }" | tr ';' '\n' | sed 's/^ //' >"$dir/timeline.txt"
	results+=("$verdict cell $id $name ($dhcp DHCP, $iso): $secs s; logs $dir")
done

# --- Cells e and f: an ISO's own signed loader, chosen in the Secure Boot menu, by UEFI HTTP
# Boot. own_boot N TIMEOUT STRING...: boot N of the cell (its own serial log), as the loop's.
own_boot() {
	local n=$1 tmo=$2
	shift 2
	VM_BOOT_NIC=virtio-net-pci,romfile= VM_BOOT_MEM=2048 VM_BOOT_SMP=2 VM_BOOT_CHECK=sb_check
	# OVMF's IPv6 PXE off: with no DHCPv6 server here it only waits before HTTP Boot; the
	# IPv4 PXE step, which isoboot-proxydhcp leaves unanswered, stays.
	VM_BOOT_EXTRA=(-machine 'q35,smm=on' -global 'driver=cfi.pflash01,property=secure,value=on'
		-fw_cfg "name=opt/org.tianocore/IPv6PXESupport,string=n")
	AFTER='' AGAIN='' STEP_MS=()
	CELL_START=$(vm_ms)
	if vm_boot "$cname-$n" efi "$mac" "$tmo" "$dir/boot$n" "$@"; then
		pass "$CK_CELL boot $n: $* ($(vm_secs 0 "$VM_BOOT_MS") s)"
	else
		verdict=FAIL
		vm_boot_failed "$CK_CELL boot $n" "$dir/boot$n/serial.log" "$@"
	fi
	results+=("$verdict $CK_CELL boot $n: $(vm_secs 0 "$VM_BOOT_MS") s; logs $dir/boot$n")
	text=$(vm_serial_text "$dir/boot$n/serial.log")
	local tl="" st
	for st in "${steps[@]}" "$@"; do
		[ -z "${STEP_MS[$st]:-}" ] || tl+="$(vm_secs 0 "${STEP_MS[$st]}") s $st; "
	done
	log "$CK_CELL boot $n timeline: ${tl%; }"
}
# own_cell ID NAME ISO GRUB: e and g (the kernel starts, Secure Boot on) or f (the ISO's shim
# refuses its kernel, GRUB says so and restarts, and a third boot gets the menu again).
own_cell() {
	local cid=$1 cname=$2 iso=$3 grub=$4 isoid name ccfg mac12 kernel
	dir=$LOGS/cell-$cid-$cname
	CK_CELL="cell $cid $cname"
	mkdir -p "$dir"
	mac=$(mac_of "$cid")
	mac12=${mac//:/}
	isoid=$(catalog_id_of "$CAT" "$iso")
	ck "$iso is in the catalog" test -n "$isoid"
	name=$(catalog_field "$CAT" "$isoid" name)
	kernel=$(catalog_field "$CAT" "$isoid" kernel)
	ccfg=$dir/isoboot.conf
	write_config "$ccfg" "$TMP/iso" "$TMP/state" "[menu]" "default = $(basename "$iso")" "timeout = 2"
	MLOG=$dir/isoboot-menu.log
	vm_menu_stop
	vm_menu_start "$ccfg" "$MLOG" || fail "$CK_CELL: isoboot-menu did not listen on $VM_SRV:80"
	# The ISO's files as its shim and GRUB ask for them: any case, "//" as '/'.
	get() { ip netns exec "$NS" timeout 10 curl -sf "http://$VM_SRV$1" -o "$2"; }
	ck "/sb/ID/EFI/BOOT/BOOTX64.EFI is the ISO's shim" \
		get "/sb/$isoid/EFI/BOOT/BOOTX64.EFI" "$dir/BOOTX64.EFI"
	ck "  byte for byte shim-signed's shimx64.efi.signed" cmp -s "$SHIM" "$dir/BOOTX64.EFI"
	ck "/sb/ID/EFI/BOOT//grubx64.efi is the ISO's GRUB" get "/sb/$isoid/EFI/BOOT//grubx64.efi" "$dir/grubx64.efi"
	ck "  byte for byte grub-efi-amd64-signed's $(basename "$grub")" cmp -s "$grub" "$dir/grubx64.efi"
	ck "/sb/ID/EFI/BOOT/grub.cfg is isoboot's" get "/sb/$isoid/EFI/BOOT/grub.cfg" "$dir/own-grub.cfg"
	ck "  which boots the recipe's kernel" grep -qF "linux (http,$VM_SRV)/iso/$isoid/files/$kernel" "$dir/own-grub.cfg"
	ck "  and not the ISO's own" is0 "$(grep -c "$OWN_CFG_MARK" "$dir/own-grub.cfg" || true)"
	get /grub.cfg "$dir/grub.cfg" || true
	ck "the Secure Boot menu's default is the ISO's own loader" \
		grep -qF "menuentry 'vendor / $name (its own signed boot loader: restarts)' --id isoboot-$isoid {" "$dir/grub.cfg"
	verdict=PASS
	log "$CK_CELL: OVMF with Secure Boot, ISO $iso ($isoid), MAC $mac"
	menu_before=$(wc -l <"$MLOG")
	steps=("${STEPS[@]}")
	# (GRUB's console wraps at 80 columns: the strings on it stay shorter.)
	VM_BOOT_GRACE=20 own_boot 1 "$CELL_TIMEOUT" "isoboot: restarting into the boot loader of"
	ck "boot 1: the menu noted the choice for $mac" \
		ge1 "$(vm_lines "$MLOG" "GET own loader of $isoid for $mac" ": 200")"
	ck "boot 1: in the state folder" grep -qx "$isoid" "$TMP/state/sb-next/$mac12"
	ck "boot 1: GRUB restarted the client (QEMU exits: -no-reboot)" test "$VM_BOOT_HALTED" = 1
	plog_before=$(wc -l <"$PLOG")
	steps=(
		"Start HTTP Boot over IPv4"
		"URI: http://$VM_SRV/sb/$isoid/EFI/BOOT/BOOTX64.EFI"
		"Booting ${name:0:40}"
	)
	if [ "$cid" != f ]; then
		own_boot 2 "$CELL_TIMEOUT" "secureboot: Secure boot enabled" "Kernel command line:"
	else
		VM_BOOT_GRACE=20 own_boot 2 "$CELL_TIMEOUT" "$REFUSED" "isoboot: restarting, back to the menu."
		ck "boot 2: GRUB restarted the client" test "$VM_BOOT_HALTED" = 1
	fi
	pnew=$(tail -n +"$((plog_before + 1))" "$PLOG")
	mnew=$(tail -n +"$((menu_before + 1))" "$MLOG")
	ip=$(vm_ip_of "$mac")
	ip=${ip:-0.0.0.0}
	on_serial() { grep -qF -- "$1" <<<"$text"; }
	not_on_serial() { ! grep -qE -- "$1" <<<"$text"; }
	ck "boot 2: isoboot-proxydhcp left its PXE requests unanswered, and said why" \
		ge1 "$(grep -F "from $mac on" <<<"$pnew" | grep -cF "the client chose an ISO's own boot loader" || true)"
	ck "boot 2: isoboot-proxydhcp sent it no PXE boot file" is0 "$(grep -cF "PXE client $mac" <<<"$pnew" || true)"
	ck "boot 2: isoboot-proxydhcp sent its HTTP Boot to the ISO's BOOTX64.EFI" \
		ge1 "$(grep -cF "HTTP Boot client $mac (arch 16, x86-64 UEFI HTTP) on br0: http://$VM_SRV/sb/$isoid/EFI/BOOT/BOOTX64.EFI" <<<"$pnew" || true)"
	ck "boot 2: the choice is marked used" grep -qx "$isoid used" "$TMP/state/sb-next/$mac12"
	for f in "file $isoid/EFI/BOOT/BOOTX64.EFI " "file $isoid/EFI/BOOT/grubx64.efi " \
		"grub.cfg of $isoid" "file $isoid/$kernel "; do
		ck "boot 2: isoboot-menu served $f to $ip" ge1 "$(grep -F "$ip GET $f" <<<"$mnew" | grep -cF ": 200" || true)"
	done
	for s in "${steps[@]}"; do ck "boot 2: on the serial console: $s" on_serial "$s"; done
	ck "boot 2: the ISO's own grub.cfg was not read" not_on_serial "$OWN_CFG_MARK"
	[ "$cid" != g ] || ck "boot 2: the CD image GRUB asked outside /sb/ID/, and got the ISO's configuration" \
		ge1 "$(grep -F "$ip GET grub.cfg of $isoid, for its GRUB, outside /sb/:" <<<"$mnew" | grep -cF ": 200" || true)"
	if [ "$cid" != f ]; then
		ck "boot 2: isoboot-menu served the initrd" ge1 "$(grep -F "$ip GET file $isoid/live/initrd.img " <<<"$mnew" | grep -cF ": 200" || true)"
		ck "boot 2: the kernel's EFI stub: UEFI Secure Boot is enabled" on_serial "EFI stub: UEFI Secure Boot is enabled."
		ck "boot 2: locked down from EFI Secure Boot" on_serial "Kernel is locked down from EFI Secure Boot"
		ck "boot 2: GRUB loaded the kernel over HTTP, by the recipe" \
			on_serial "Command line: BOOT_IMAGE=(http,$VM_SRV)/iso/$isoid/files/live/vmlinuz boot=live"
		ck "boot 2: with the settings file's parameter" on_serial "isoboot.sidecar=own-loader"
		return
	fi
	ck "boot 2: the ISO's shim refused the kernel" on_serial "bad shim signature"
	ck "boot 2: no kernel started" not_on_serial 'Linux version|Kernel command line'
	ck "boot 2: and no initrd was fetched" is0 "$(grep -cF "$ip GET file $isoid/casper/initrd" <<<"$mnew" || true)"
	# Back to the menu: the choice is used, PXE is answered again.
	plog_before=$(wc -l <"$PLOG")
	steps=("${STEPS[@]}")
	own_boot 3 "$CELL_TIMEOUT" "GNU GRUB"
	pnew=$(tail -n +"$((plog_before + 1))" "$PLOG")
	ck "boot 3: isoboot-proxydhcp sent $mac shimx64.efi again" \
		ge1 "$(grep -F "PXE client $mac" <<<"$pnew" | grep -cF ": shimx64.efi" || true)"
}
if [[ " $CELLS " == *" e "* || " $CELLS " == *" f "* || " $CELLS " == *" g "* ]] && dhcp_proxy && tftpd_root "$TROOT" "$LOGS/tftpd.log"; then
	[[ " $CELLS " != *" e "* ]] || own_cell e own-loader "$OWN_ISO" "$GRUBMONO"
	[[ " $CELLS " != *" f "* ]] || own_cell f own-unsigned "$OWN_UNSIGNED_ISO" "$GRUBMONO"
	[[ " $CELLS " != *" g "* ]] || own_cell g own-cd-grub "$OWN_CD_ISO" "$GRUBGCD"
fi
vm_menu_stop

log "logs: $LOGS"
echo "=== results"
for r in "${results[@]}"; do echo "$r"; done
check "at least one cell ran (${#results[@]})" test "${#results[@]}" -gt 0
finish
