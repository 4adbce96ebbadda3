#!/bin/bash
# QEMU boot matrix: PXE firmware -> TFTP -> iPXE -> isoboot-menu -> the ISO's own program, with
# the boot chain files isoboot ships (assets/tftp) and its services, as a site would run them.
#
# In a network namespace of its own (bridge 192.0.2.1/24 + 2001:db8:1::1/64, a tap for QEMU):
#   dnsmasq       the site's DHCP server (and an IPv6 RA, which saves iPXE ~13 s per boot):
#                 BIOS PXE -> pxelinux.0, UEFI PXE (arch 7/9) -> snponly.efi, iPXE ->
#                 http://192.0.2.1/boot.ipxe; every dhcp-boot line tagged, one per class
#   in.tftpd      tftp-hpa under systemd-socket-activate --datagram --inetd, on a TFTP root put
#                 together from Debian's files and assets/tftp; its syslog goes to a log file
#   isoboot-menu  systemd-socket-activate -l 192.0.2.1:80 (Accept=no); restarted per cell with
#                 the cell's configuration ([menu] default = the cell's ISO, a short timeout)
#   isoboot-iscsi systemd-socket-activate --accept -l 192.0.2.1:3260 (Accept=yes)
#
# Cells (QEMU TCG, one at a time, each bounded to CELL_TIMEOUT seconds):
#   a bios-rescue   SeaBIOS -> pxelinux.0 -> ipxe.lkrn + chain.ipxe -> menu -> grub-rescue-cdrom.iso
#                   over iSCSI: GRUB's own output on the serial console
#   b bios-memtest  same chain -> memtest86+x64.iso with memdisk: memtest's screen (OCR)
#   c bios-big      same chain -> big.iso over iSCSI: ISOBOOT-TEST-BOOT-pc and the file past 4 GiB
#   d efi-memtest   OVMF's own PXE (virtio-net, no iPXE ROM) -> snponly.efi -> menu ->
#                   memtest86+x64.iso over iSCSI: memtest's screen (OCR)
#   e efi-big       same chain -> big.iso over iSCSI: ISOBOOT-TEST-BOOT-efi and the file past 4 GiB
#   f efi-big-http  same chain, [menu] uefi_boot = http -> big.iso over HTTP, as in e
#   g bios-debian-live  BIOS chain -> the menu's default entry for a Debian live ISO (live-build):
#                   its boot recipe, kernel and initrd over HTTP from inside the ISO, live-boot's
#                   fetch= of the squashfs, to userland (the ISO's marker once multi-user.target
#                   is reached); the kernel's command line must carry the recipe's fetch= URL
#                   and the parameter the ISO's settings file (NAME.iso.isoboot) adds
#   h efi-debian-live   the same on OVMF (own PXE -> snponly.efi)
#   i bios-dracut-live  as g for a dracut LiveOS ISO in the Fedora layout: root=live:URL
#   j efi-dracut-live   the same on OVMF
#   k bios-casper-layout  BIOS chain -> the menu's default entry for an ISO with Ubuntu 24.04's
#                   layout and GRUB menu (tests/tools/mk-layout-iso.sh, with the Debian live
#                   ISO's kernel): the casper recipe's kernel and initrd over HTTP from inside
#                   the ISO; the started kernel's command line (on serial) must carry the
#                   recipe's url= of the whole ISO. Its initrd is filler: the kernel stops there.
#   l efi-archiso-layout  the same on OVMF for Arch's layout: archiso_http_srv= of its tree
#   m efi-kiwi-live  as j for an ISO built with KIWI (kiwi-ng, its dmsquash flavour): kiwi's own
#                   layout and GRUB menu ($linux/$initrd), the dracut recipe, to userland
#   n bios-kiwi-live  the same on SeaBIOS
#   o bios-debian-installer  BIOS chain -> the menu's default entry for a Debian 13 installer ISO
#                   in the netinst layout (tests/build-installer-iso.sh: the installer's CD
#                   flavour, trixie's udebs in pool/): its kernel and initrd over HTTP from
#                   inside the ISO, and the installer's medium (the ISO's .disk/, dists/ and
#                   pool/ as one more initrd); the installer must load its components from that
#                   medium and reach a question of a component it loaded from there
#                   (choose-mirror, which its initrd lacks), never "Detect and mount
#                   installation media". The ISO's settings file adds the serial console and
#                   the text frontend, so that the installer's questions are on ttyS0.
#   p efi-debian-installer  the same on OVMF
#                   (o and p run as their own test, tests/vm/installer-boot.sh, beside this one)
# The live cells need tests/build-live-isos.sh's ISOs and the installer cells
# tests/build-installer-iso.sh's (ISOBOOT_LIVE_CACHE); their guests get 2 GiB of RAM and 2 CPUs. A recipe cell also checks that the menu served the kernel, each
# initrd and the squashfs from inside the ISO to the VM, and that nothing was written in the ISO
# folder (no file added, every ISO's size and times unchanged).
# QEMU's only BIOS PXE ROM is iPXE itself, which says so in its DHCP user class. dnsmasq tags the
# BIOS cells' MAC addresses "pxerom": those clients stand in for a plain PXE ROM and are given
# pxelinux.0 even though they say iPXE (ipxe.lkrn's own DHCP gets the same, and ignores it: it
# runs chain.ipxe). Every other client gets its boot file by its class only.
#
# A cell passes only on output of the booted ISO's own program, never because iPXE or the menu
# started; and only when the logs show its chain: TFTP served the firmware's boot files to the
# VM's address, isoboot-menu served boot.ipxe to it (and memdisk or the ISO's bytes when the
# cell uses them), and isoboot-iscsi logged its login to the ISO (iSCSI cells).
#
# Needs root, qemu-system-x86, seabios, ipxe-qemu, ovmf, ipxe, pxelinux, syslinux-common,
# tftpd-hpa, tesseract-ocr, dnsmasq-base, socat, python3, systemd (systemd-socket-activate) and
# iproute2; skips (exit 77, or fails with ISOBOOT_REQUIRE_ALL=1) without them.
# Environment:
#   ISOBOOT_VM_LOGS   where logs go (default $BUILD/tests/vm-logs/$ISOBOOT_MATRIX_NAME)
#   ISOBOOT_MATRIX_NAME  the test's name, for its log folder (default boot-matrix)
#   ISOBOOT_VM_CELLS  a subset of cells, e.g. "a d" (default: all)
#   ISOBOOT_LIVE_CELLS  the live cells of the default set (default "g h i j k l m n")
#   ISOBOOT_MATRIX_CELLS  this test's cells, before the two above (the test command's sanitizer
#                     run boots only "a e g")
#   CELL_TIMEOUT      seconds per boot (default 150; live cells: LIVE_TIMEOUT, default 420)
#   OCR_EVERY         seconds between two screendumps in OCR cells (default 4)
# ocr_check and the per-cell check helpers are called indirectly (by vm_boot and ck): SC2317.
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh disable=SC2317
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=../lib/vm.sh
. "$(dirname "$0")/../lib/vm.sh"

need_root
CELL_TIMEOUT=${CELL_TIMEOUT:-150}
LIVE_TIMEOUT=${LIVE_TIMEOUT:-420}
OCR_EVERY=${OCR_EVERY:-4}
CELLS=${ISOBOOT_MATRIX_CELLS:-${ISOBOOT_VM_CELLS:-a b c d e f ${ISOBOOT_LIVE_CELLS-g h i j k l m n}}}
LIVE_DIR=${ISOBOOT_LIVE_CACHE:-/var/cache/isoboot-tests}/live
# The installer cells: the ISO's settings file's parameters (the serial console, the plain text
# frontend, only the questions that have no default), and what must be on the serial console:
# the title of choose-mirror's questions, a component that only the medium has.
INSTALLER_APPEND="console=ttyS0,115200n8 DEBIAN_FRONTEND=text priority=critical locale=en_US.UTF-8 keymap=us netcfg/get_nameservers=$VM_SRV"
INSTALLER_WANT=("Choose a mirror of the Debian archive")
# The TFTP root: file in the root, and where it comes from.
TFTP_FILES=(
	pxelinux.0=/usr/lib/PXELINUX/pxelinux.0
	ldlinux.c32=/usr/lib/syslinux/modules/bios/ldlinux.c32
	ipxe.lkrn=/usr/lib/ipxe/ipxe.lkrn
	undionly.kpxe=/usr/lib/ipxe/undionly.kpxe
	snponly.efi=/usr/lib/ipxe/snponly.efi
	ipxe.efi=/usr/lib/ipxe/ipxe.efi
	memdisk=/usr/lib/syslinux/memdisk
)
MEMDISK=/usr/lib/syslinux/memdisk
vm_need_tools ip ss timeout qemu-system-x86_64 dnsmasq systemd-socket-activate in.tftpd tesseract \
	socat python3 unshare mount /dev/net/tun /usr/share/seabios/bios-256k.bin "$VM_NIC_ROM" \
	"$VM_OVMF_CODE" "$VM_OVMF_VARS" "${TFTP_FILES[@]#*=}"
need_built "$ISCSI" "$MENU" "$SCAN"
BIG=$(built_iso big.iso)
RESCUE=$(third_party_iso grub-rescue-cdrom.iso)
MEMTEST=$(third_party_iso memtest86+x64.iso)
[ -s "$CACHE/built/big.marker" ] || skip "big.marker missing (run tests/build-test-isos.sh)"
MARK=$(tr -d '\r\n' <"$CACHE/built/big.marker")

vm_test_start "${ISOBOOT_MATRIX_NAME:-boot-matrix}" 'cell-*' '*.log' catalog

# --- The ISO folder and its catalog (hard links, or a sparse copy of the 4.5 GiB big.iso).
mkdir -p "$TMP/iso/sub" "$TMP/iso/live" "$TMP/state"
place "$RESCUE" "$TMP/iso/grub-rescue-cdrom.iso"
place "$MEMTEST" "$TMP/iso/memtest86+x64.iso"
place "$BIG" "$TMP/iso/sub/big.iso"
# The live ISOs of the selected live cells (cell: ISO).
for c in g:debian-live.iso h:debian-live.iso i:dracut-live.iso j:dracut-live.iso m:kiwi-live.iso n:kiwi-live.iso; do
	f=${c#*:}
	{ [[ " $CELLS " == *" ${c%%:*} "* ]] && [ ! -e "$TMP/iso/live/$f" ]; } || continue
	[ -s "$LIVE_DIR/$f" ] || skip "$LIVE_DIR/$f missing (run tests/build-live-isos.sh)"
	place "$LIVE_DIR/$f" "$TMP/iso/live/$f"
	# A settings file beside each: a kernel parameter of its own, which the booted kernel's
	# command line must carry after the recipe's (checked below).
	printf '[iso]\nappend = isoboot.sidecar=%s\n' "${f%.iso}" >"$TMP/iso/live/$f.isoboot"
done
# The installer ISO, with a settings file that puts the installer on the serial console in its
# text frontend, and answers the questions before the medium's components are loaded.
if [[ " $CELLS " == *" o "* || " $CELLS " == *" p "* ]]; then
	[ -s "$LIVE_DIR/debian-installer.iso" ] ||
		skip "$LIVE_DIR/debian-installer.iso missing (run tests/build-installer-iso.sh)"
	place "$LIVE_DIR/debian-installer.iso" "$TMP/iso/live/debian-installer.iso"
	printf '[iso]\nappend = %s\n' "$INSTALLER_APPEND" >"$TMP/iso/live/debian-installer.iso.isoboot"
fi
# The layout ISOs of families not buildable here, with a real kernel (the Debian live ISO's).
if [[ " $CELLS " == *" k "* || " $CELLS " == *" l "* ]]; then
	[ -s "$LIVE_DIR/debian-live.iso" ] || skip "$LIVE_DIR/debian-live.iso missing (run tests/build-live-isos.sh)"
	xorriso -osirrox on -indev "$LIVE_DIR/debian-live.iso" -extract /live/vmlinuz "$TMP/vmlinuz" \
		>"$LOGS/extract-kernel.log" 2>&1 || { cat "$LOGS/extract-kernel.log"; fail "xorriso -extract"; finish; }
	mkdir -p "$TMP/iso/layout"
	bash "$SRC/tests/tools/mk-layout-iso.sh" casper "$TMP/iso/layout/ubuntu-24.04.1-desktop-amd64.iso" "$TMP/vmlinuz"
	bash "$SRC/tests/tools/mk-layout-iso.sh" archiso "$TMP/iso/layout/archlinux-2024.11.01-x86_64.iso" "$TMP/vmlinuz"
	# Ubuntu's "quiet" would keep the kernel's command line off the console.
	printf '[iso]\nappend = loglevel=7\n' >"$TMP/iso/layout/ubuntu-24.04.1-desktop-amd64.iso.isoboot"
fi
# Nothing may ever be written in the ISO folder: the SHA-256 of each file before the boots
# (finish compares), and the folder's listing with sizes and modification times (to the
# nanosecond). Not ctime: the ISOs are hard links to the caches, whose link count (and so
# ctime) other runs may change.
guard_isos "$TMP/iso"
iso_stamps() { find "$TMP/iso" -type f -printf '%P %s %T@\n' | sort; }
ISO_STAMPS=$(iso_stamps)
CONF=$TMP/isoboot.conf
write_config "$CONF" "$TMP/iso" "$TMP/state" "[menu]" "memdisk = $MEMDISK"
vm_scan "$CONF"
CAT=$TMP/state/catalog
log "catalog: $(grep -c '^iqn ' "$CAT") targets"

# --- The TFTP root: Debian's binaries plus the shipped assets.
TROOT=$TMP/tftp
vm_tftp_root "$TROOT" "${TFTP_FILES[@]}"

# --- The cells: ID|NAME|FIRMWARE|ISO (path in the ISO folder)|HOW (iscsi, memdisk, http)|CHECK
# (serial or ocr)|EXPECTED... For serial, every EXPECTED string must be on the serial console;
# for ocr, at least two of the EXPECTED words on the screen (case-insensitive). Memtest's words
# are from its own screen only: neither iPXE nor the menu shows them.
MEMTEST_WORDS="CLK/Temp|L1 Cache|L2 Cache|L3 Cache|Memory|Testing|Status|Pass|Scroll Lock|Configuration"
CELL_DEFS=(
	"a|bios-rescue|bios|grub-rescue-cdrom.iso|iscsi|serial|Welcome to GRUB!|GNU GRUB|Press enter to boot the selected OS"
	"b|bios-memtest|bios|memtest86+x64.iso|memdisk|ocr|$MEMTEST_WORDS"
	"c|bios-big|bios|sub/big.iso|iscsi|serial|ISOBOOT-TEST-BOOT-pc|ISOBOOT-TEST-HIGH-BEGIN|$MARK|ISOBOOT-TEST-HIGH-END|ISOBOOT-TEST-DONE"
	"d|efi-memtest|efi|memtest86+x64.iso|iscsi|ocr|$MEMTEST_WORDS"
	"e|efi-big|efi|sub/big.iso|iscsi|serial|ISOBOOT-TEST-BOOT-efi|ISOBOOT-TEST-HIGH-BEGIN|$MARK|ISOBOOT-TEST-HIGH-END|ISOBOOT-TEST-DONE"
	"f|efi-big-http|efi|sub/big.iso|http|serial|ISOBOOT-TEST-BOOT-efi|ISOBOOT-TEST-HIGH-BEGIN|$MARK|ISOBOOT-TEST-HIGH-END|ISOBOOT-TEST-DONE"
	"g|bios-debian-live|bios|live/debian-live.iso|recipe|serial|ISOBOOT-LIVE-USERLAND family=live-boot"
	"h|efi-debian-live|efi|live/debian-live.iso|recipe|serial|ISOBOOT-LIVE-USERLAND family=live-boot"
	"i|bios-dracut-live|bios|live/dracut-live.iso|recipe|serial|ISOBOOT-LIVE-USERLAND family=dracut"
	"j|efi-dracut-live|efi|live/dracut-live.iso|recipe|serial|ISOBOOT-LIVE-USERLAND family=dracut"
	"k|bios-casper-layout|bios|layout/ubuntu-24.04.1-desktop-amd64.iso|kernel|serial|Kernel command line: |netboot=url url=http://$VM_SRV/iso/"
	"l|efi-archiso-layout|efi|layout/archlinux-2024.11.01-x86_64.iso|kernel|serial|Kernel command line: |archiso_http_srv=http://$VM_SRV/iso/"
	"m|efi-kiwi-live|efi|live/kiwi-live.iso|recipe|serial|ISOBOOT-LIVE-USERLAND family=kiwi"
	"n|bios-kiwi-live|bios|live/kiwi-live.iso|recipe|serial|ISOBOOT-LIVE-USERLAND family=kiwi"
	"o|bios-debian-installer|bios|live/debian-installer.iso|installer|serial|${INSTALLER_WANT[*]}"
	"p|efi-debian-installer|efi|live/debian-installer.iso|installer|serial|${INSTALLER_WANT[*]}"
)
mac_of() { vm_cell_mac 1c "$1"; }
for def in "${CELL_DEFS[@]}"; do
	IFS='|' read -r id _ _ iso how _ <<<"$def"
	[[ " $CELLS " == *" $id "* ]] || continue
	[ -n "$(catalog_id_of "$CAT" "$iso")" ] || fail "$iso is not in the catalog"
	[ "$how" != recipe ] && [ "$how" != kernel ] && [ "$how" != installer ] ||
		[ -n "$(catalog_field "$CAT" "$(catalog_id_of "$CAT" "$iso")" recipe)" ] ||
		fail "$iso has no boot recipe in the catalog"
done
[ "$FAILS" = 0 ] || finish

# --- Network and DHCP.
vm_test_netns
log "netns $NS: $VM_BR $VM_SRV/24 $VM_SRV6/64, $VM_TAP"
DCONF=$TMP/dnsmasq.conf
{
	vm_dnsmasq_conf "$TMP/dnsmasq.leases" "$TMP/dnsmasq.pid"
	vm_dnsmasq_efi64
	cat <<-EOF
		# The BIOS cells' VMs stand in for plain PXE ROMs (QEMU's BIOS PXE ROM is iPXE).
		$(for def in "${CELL_DEFS[@]}"; do
			IFS='|' read -r id _ fw _ <<<"$def"
			[ "$fw" = bios ] && echo "dhcp-mac=set:pxerom,$(mac_of "$id")"
		done)
	EOF
	vm_dnsmasq_boot_lines # one line per client class; each class matches exactly one
} >"$DCONF"
cp "$DCONF" "$LOGS/dnsmasq.conf"
vm_dnsmasq_start "$DCONF" "$LOGS/dnsmasq.log" || { cat "$LOGS/dnsmasq.log"; fail "dnsmasq did not start"; finish; }

# --- TFTP, its syslog lines in tftpd.log.
TLOG=$LOGS/tftpd.log
vm_tftpd_start "$TROOT" "$TLOG" || { cat "$TLOG"; fail "in.tftpd did not start"; finish; }

# --- isoboot-iscsi (Accept=yes), for every cell.
ILOG=$LOGS/isoboot-iscsi.log
vm_iscsi_start "$CONF" "$ILOG"
log "dnsmasq, in.tftpd, isoboot-iscsi listen in $NS"

# ocr_check DIR WORD...: takes a screendump every OCR_EVERY seconds and reads it; true when at
# least two of the WORDs are on the screen. Keeps the text in DIR/screen-N.txt.
OCR_NEXT=0 OCR_N=0
ocr_check() {
	local dir=$1 now w found=0 text
	local -a words
	now=$(date +%s)
	[ "$now" -ge "$OCR_NEXT" ] || return 1
	OCR_NEXT=$((now + OCR_EVERY))
	OCR_N=$((OCR_N + 1))
	vm_screendump "$VM_BOOT_MONITOR" "$dir/screen.ppm" || return 1
	text=$(vm_ocr "$dir/screen.ppm")
	printf '%s\n' "$text" >"$dir/screen-$OCR_N.txt"
	words=("${@:2}")
	for w in "${words[@]}"; do
		grep -qiF -- "$w" <<<"$text" && found=$((found + 1))
	done
	[ "$found" -ge 2 ] || return 1
	cp "$dir/screen.ppm" "$dir/screen-match.ppm"
	printf '%s\n' "$text" >"$dir/screen-match.txt"
	OCR_WORDS=$(for w in "${words[@]}"; do grep -qiF -- "$w" <<<"$text" && printf '"%s" ' "$w"; done)
	return 0
}

# --- The cells, one at a time (TCG is CPU bound).
results=()
for def in "${CELL_DEFS[@]}"; do
	IFS='|' read -r -a f <<<"$def"
	id=${f[0]} name=${f[1]} fw=${f[2]} iso=${f[3]} how=${f[4]} chk=${f[5]}
	want=("${f[@]:6}")
	[[ " $CELLS " == *" $id "* ]] || continue
	dir=$LOGS/cell-$id-$name
	CK_CELL="cell $id $name"
	mkdir -p "$dir"
	isoid=$(catalog_id_of "$CAT" "$iso")
	mac=$(mac_of "$id")
	ccfg=$dir/isoboot.conf
	extra=()
	[ "$how" != http ] || extra=("uefi_boot = http")
	write_config "$ccfg" "$TMP/iso" "$TMP/state" "[menu]" "memdisk = $MEMDISK" \
		"default = $(basename "$iso")" "timeout = 2" "${extra[@]}"
	MLOG=$dir/isoboot-menu.log
	vm_menu_stop
	if ! vm_menu_start "$ccfg" "$MLOG"; then
		fail "cell $id $name: isoboot-menu did not listen on $VM_SRV:80"
		results+=("FAIL cell $id $name: isoboot-menu did not start ($MLOG)")
		continue
	fi
	ip netns exec "$NS" timeout 10 curl -s "http://$VM_SRV/boot.ipxe" >"$dir/boot.ipxe" 2>/dev/null || true
	tftp_before=$(wc -l <"$TLOG")
	menu_before=$(wc -l <"$MLOG")

	VM_BOOT_NIC='' VM_BOOT_CHECK='' VM_BOOT_MONITOR=$TMP/mon-$id.sock VM_BOOT_GRACE=0
	VM_BOOT_MEM=512 VM_BOOT_SMP=1
	tmo=$CELL_TIMEOUT
	if [ "$how" = recipe ] || [ "$how" = installer ]; then
		VM_BOOT_MEM=2048 VM_BOOT_SMP=2 tmo=$LIVE_TIMEOUT
	elif [ "$how" = kernel ]; then
		VM_BOOT_MEM=2048 # casper's recipe asks for 1 GiB and the ISO
	fi
	if [ "$fw" = efi ]; then
		VM_BOOT_NIC="virtio-net-pci,romfile="
	fi
	[ "$chk" != ocr ] || VM_BOOT_CHECK=ocr_check OCR_NEXT=0 OCR_N=0 OCR_WORDS=
	# The test ISOs' GRUB powers the machine off after ISOBOOT-TEST-DONE.
	[ "$iso" != sub/big.iso ] || VM_BOOT_GRACE=10
	log "cell $id $name: $fw, $iso ($isoid) by $how, default of the menu"
	if vm_boot "$name" "$fw" "$mac" "$tmo" "$dir" "${want[@]}"; then
		verdict=PASS
	else
		verdict=FAIL
	fi
	secs=$(vm_secs 0 "$VM_BOOT_MS")
	if [ $verdict = PASS ]; then
		if [ "$chk" = ocr ]; then
			pass "cell $id $name: $iso runs: on its screen $OCR_WORDS($secs s; $dir/screen-match.txt)"
		else
			pass "cell $id $name: $iso booted ($secs s$([ "$VM_BOOT_HALTED" = 1 ] && echo ', then powered off'))"
		fi
	else
		if [ "$chk" = ocr ]; then
			fail "cell $id $name: $VM_BOOT_END after $secs s; fewer than two of \"$MEMTEST_WORDS\" on the screen (last OCR: $dir/screen-$OCR_N.txt)"
			echo "--- last OCR text"
			grep -v '^[[:space:]]*$' "$dir/screen-$OCR_N.txt" 2>/dev/null | tail -n 25 || true
			vm_serial_tail "$dir/serial.log"
		else
			vm_boot_failed "$CK_CELL" "$dir/serial.log" "${want[@]}"
		fi
	fi

	# The VM is gone without logging out: end its iSCSI sessions now (see iscsi-boot.sh).
	vm_iscsi_hangup >/dev/null

	# The chain, from the servers' logs. The VM's address comes from dnsmasq's lease.
	# (ck sets verdict=FAIL when a check fails)
	ip=$(vm_ip_of "$mac")
	tnew=$(tail -n +"$((tftp_before + 1))" "$TLOG")
	ck "dnsmasq leased ${ip:-nothing} to $mac" test -n "$ip"
	ip=${ip:-0.0.0.0}
	if [ "$fw" = bios ]; then
		for t in pxelinux.0 ldlinux.c32 pxelinux.cfg/default ipxe.lkrn chain.ipxe; do
			ck "TFTP served $t to $ip" tftp_has "$t"
		done
	else
		ck "TFTP served snponly.efi to $ip" tftp_has snponly.efi
	fi
	mnew=$(tail -n +"$((menu_before + 1))" "$MLOG")
	# high_range: a range that starts past 4 GiB was served to the VM.
	high_range() {
		awk -v p="$ip GET iso $isoid bytes " 'index($0, p) {
			s = substr($0, index($0, p) + length(p)); sub(/-.*/, "", s)
			if (s + 0 >= 4294967296 && index($0, ": 206")) f = 1 } END { exit !f }' <<<"$mnew"
	}
	ck "isoboot-menu served boot.ipxe to $ip" menu_has "menu" 200
	case $how in
	memdisk)
		ck "isoboot-menu served memdisk to $ip" menu_has memdisk 200
		ck "isoboot-menu served $iso to $ip" menu_has "iso $isoid" 200
		;;
	http)
		ck "isoboot-menu served ranges of $iso to $ip" menu_has "iso $isoid bytes" 206
		ck "isoboot-menu served $ip a range past 4 GiB" high_range
		;;
	recipe)
		# The kernel, each initrd and the fetched squashfs, all from inside the ISO.
		while read -r _ _ path; do
			ck "isoboot-menu served $path from inside $iso to $ip" \
				menu_has "file $isoid/$path " 200
		done < <(awk -v id="$isoid" '$1 == "iso" { cur = $2 } cur == id && $1 == "fetch"' "$CAT")
		ck "the booted kernel's command line fetches from inside the ISO" \
			grep -qF "$VM_SRV/iso/$isoid/files/" <(vm_serial_text "$dir/serial.log" |
				grep -a 'ISOBOOT-LIVE-USERLAND')
		sc=${iso##*/}
		ck "the booted kernel's command line has the ISO's settings file's parameter" \
			grep -qE "[ =]isoboot.sidecar=${sc%.iso}( |\$)" <(vm_serial_text "$dir/serial.log" |
				grep -a 'ISOBOOT-LIVE-USERLAND' | tr -d '\r')
		;;
	installer)
		# The kernel and initrd from inside the ISO, then its medium; and never the
		# question that the installer asks when it finds no medium.
		while read -r _ _ path; do
			ck "isoboot-menu served $path from inside $iso to $ip" \
				menu_has "file $isoid/$path " 200
		done < <(awk -v id="$isoid" '$1 == "iso" { cur = $2 } cur == id && $1 == "fetch"' "$CAT")
		ck "isoboot-menu served the installer's medium of $iso to $ip" menu_has "medium $isoid " 200
		ck "the installer never looked for a CD" \
			bash -c "! grep -aqF 'Detect and mount installation media' '$dir/serial.log'"
		;;
	kernel)
		# The kernel and each initrd from inside the ISO; the kernel's own command line.
		while read -r key path; do
			ck "isoboot-menu served $key $path from inside $iso to $ip" \
				menu_has "file $isoid/$path " 200
		done < <(awk -v id="$isoid" '$1 == "iso" { cur = $2 } cur == id && ($1 == "kernel" || $1 == "initrd")' "$CAT")
		ck "the started kernel's command line names this ISO ($isoid) over HTTP" \
			grep -qF "$VM_SRV/iso/$isoid/" <(vm_serial_text "$dir/serial.log" |
				grep -a 'Kernel command line: ')
		;;
	iscsi)
		ck "isoboot-iscsi logged a login of $ip to $iso" ge1 "$(vm_iscsi_logins "$ILOG" "$ip" "$iso")"
		;;
	esac
	results+=("$verdict cell $id $name ($fw, $iso by $how): $secs s; logs $dir")
	log "cell $id $name: serial $dir/serial.log, menu $MLOG"
done
vm_menu_stop
check "nothing was written in the ISO folder" test "$(iso_stamps)" = "$ISO_STAMPS"
check "at least one cell ran (${#results[@]})" test "${#results[@]}" -gt 0

log "TFTP log: $TLOG"
log "isoboot-iscsi log: $ILOG"
log "dnsmasq log: $LOGS/dnsmasq.log"
echo "=== results"
for r in "${results[@]}"; do echo "$r"; done
finish
