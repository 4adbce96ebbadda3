#!/bin/bash
# Per-ISO settings files (NAME.iso.isoboot) through the real isoboot-scan and isoboot-menu: a
# live-boot ISO built here with xorriso (its recipe gets the file's extra kernel parameters, with
# placeholders filled in, and its display name), method = memdisk and sanboot, hidden = yes in a
# group, a broken file (the ISO is catalogued as if it had none, and the scan's line for the ISO
# says FILE:LINE: message), a settings file without its ISO; then an edit, a rescan and the menu
# following it. The ISOs and settings files are never written to.
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
need_cmd systemd-socket-activate curl ss xorriso

SMALL=$(built_iso small.iso)
# A live-build style ISO: isolinux.cfg's default entry boots live/vmlinuz with boot=live; the
# kernel has the Linux boot header, the El Torito image is a stand-in (isoboot-scan reads the
# catalog, it never runs the boot image).
T=$TMP/tree
mkdir -p "$T/live" "$T/isolinux"
head -c 8192 /dev/zero >"$T/live/vmlinuz"
printf 'HdrS' | dd of="$T/live/vmlinuz" bs=1 seek=514 conv=notrunc status=none
head -c 65536 /dev/urandom >"$T/live/initrd.img"
head -c 1048576 /dev/urandom >"$T/live/filesystem.squashfs"
head -c 2048 /dev/zero >"$T/isolinux/isolinux.bin"
printf 'default live\nlabel live\n  menu label Live\n  kernel /live/vmlinuz\n  append initrd=/live/initrd.img boot=live components quiet\n' \
	>"$T/isolinux/isolinux.cfg"
mkdir -p "$TMP/iso/lab" "$TMP/state"
xorriso -as mkisofs -R -J -V LABLIVE -o "$TMP/iso/live.iso" -b isolinux/isolinux.bin \
	-no-emul-boot -boot-load-size 4 "$T" >"$TMP/xorriso.log" 2>&1 ||
	{ cat "$TMP/xorriso.log"; fail "xorriso"; finish; }
for f in plain.iso broken.iso sanboot.iso lab/hidden.iso; do
	ln "$SMALL" "$TMP/iso/$f" 2>/dev/null || cp "$SMALL" "$TMP/iso/$f"
done
cat >"$TMP/iso/live.iso.isoboot" <<'INI'
# The lab's live system, without the graphics driver that hangs lab 3's screens.
[iso]
name = Lab live (no KMS)
append = nomodeset
append = preseed/url={files}/preseed.cfg srv={server}
INI
printf '[iso]\nmethod = memdisk\n' >"$TMP/iso/plain.iso.isoboot"
printf '[iso]\nmethod = sanboot\n' >"$TMP/iso/sanboot.iso.isoboot"
printf '[iso]\nhidden = yes\n' >"$TMP/iso/lab/hidden.iso.isoboot"
# shellcheck disable=SC2016  # a shell's $(...), literally: refused as a parameter
printf '[iso]\nname = Never shown\nappend = $(reboot)\nmetod = live\n' >"$TMP/iso/broken.iso.isoboot"
printf '[iso]\nname = Nobody\n' >"$TMP/iso/gone.iso.isoboot"
guard_isos "$TMP"/iso/*.iso "$TMP"/iso/lab/*.iso
sums_before=$(sha256sum "$TMP"/iso/*.isoboot "$TMP"/iso/lab/*.isoboot)

write_config "$TMP/c.conf" "$TMP/iso" "$TMP/state" "[menu]" "memdisk = /usr/lib/syslinux/memdisk"
"$SCAN" --config "$TMP/c.conf" >"$TMP/scan.log" 2>&1
sed 's/^/# /' "$TMP/scan.log"
CAT=$TMP/state/catalog
LIVE=$(catalog_id_of "$CAT" live.iso)
PLAIN=$(catalog_id_of "$CAT" plain.iso)
SANB=$(catalog_id_of "$CAT" sanboot.iso)
HID=$(catalog_id_of "$CAT" lab/hidden.iso)
BROKEN=$(catalog_id_of "$CAT" broken.iso)
check "every ISO is catalogued, the hidden and the broken one too" \
	test -n "$LIVE" -a -n "$PLAIN" -a -n "$SANB" -a -n "$HID" -a -n "$BROKEN"
check "live.iso has a live-boot recipe" test "$(catalog_field "$CAT" "$LIVE" recipe)" = live-boot
check "its display name comes from its settings file" \
	test "$(catalog_field "$CAT" "$LIVE" name)" = "Lab live (no KMS)"
check "its extra parameters, both lines joined" \
	test "$(catalog_field "$CAT" "$LIVE" extra)" = "nomodeset preseed/url={files}/preseed.cfg srv={server}"
check "plain.iso: method memdisk" test "$(catalog_field "$CAT" "$PLAIN" method)" = memdisk
check "lab/hidden.iso: hidden" test "$(catalog_field "$CAT" "$HID" hidden)" = yes
check "broken.iso: none of its settings" test "$(catalog_field "$CAT" "$BROKEN" name)" = broken -a \
	-z "$(catalog_field "$CAT" "$BROKEN" extra)"
check "the scan says why, with the file and line of each error" grep -qF \
	"broken.iso is catalogued without its settings file: broken.iso.isoboot:3: append: '\$' is not allowed in kernel parameters here; broken.iso.isoboot:4: unknown key 'metod' in section [iso]" \
	"$TMP/scan.log"
check "a settings file without its ISO is reported" \
	grep -q 'Skipping gone.iso.isoboot: settings file without an ISO of that name beside it' "$TMP/scan.log"
check "settings files with their ISO are not reported as skipped" \
	bash -c "! grep -q 'Skipping .*live.iso.isoboot\|Skipping .*hidden.iso.isoboot' '$TMP/scan.log'"
check "the summary counts 5 ISOs and 1 file skipped" \
	grep -q 'Catalog .*: 5 ISOs (5 added, 0 removed), 1 files skipped' "$TMP/scan.log"

PORT=$(free_port 48700)
menu_start "$TMP/c.conf" "$PORT" "$TMP/menu.log" || { cat "$TMP/menu.log"; fail "isoboot-menu does not listen"; finish; }
B=http://127.0.0.1:$PORT
curl -s --max-time 30 -o "$TMP/menu.ipxe" "$B/boot.ipxe?memsize=4096"
# shellcheck disable=SC2317  # called by check
has() { grep -qxF -- "$1" "$TMP/menu.ipxe"; }
check "the menu shows the display name, the recipe first" has "item -- bios-$LIVE Lab live (no KMS)"
check "the recipe's kernel line ends with the extra parameters, placeholders filled in" \
	has "kernel $B/iso/$LIVE/files/live/vmlinuz initrd=initrd.img boot=live components quiet fetch=$B/iso/$LIVE/files/live/filesystem.squashfs nomodeset preseed/url=$B/iso/$LIVE/files/preseed.cfg srv=127.0.0.1 || goto failed"
check "method = memdisk: plain.iso boots with memdisk on BIOS" \
	grep -qF "initrd $B/iso/$PLAIN/plain.iso" "$TMP/menu.ipxe"
check "method = memdisk: still SAN on UEFI" \
	bash -c "sed -n '/^:efi-$PLAIN\$/,/^goto failed/p' '$TMP/menu.ipxe' | grep -q '^sanboot iscsi:'"
check "lab/hidden.iso is not in the menu, nor is its group" \
	bash -c "! grep -q '$HID\|lab:' '$TMP/menu.ipxe'"
check "broken.iso is in the menu under its file name" has "item -- bios-$BROKEN broken"

# An edit: hidden = no, and live.iso's own boot loader first; the path unit would rescan.
printf '[iso]\nhidden = no\n' >"$TMP/iso/lab/hidden.iso.isoboot"
printf '[iso]\nmethod = sanboot\n' >"$TMP/iso/live.iso.isoboot"
sums_before=$(sha256sum "$TMP"/iso/*.isoboot "$TMP"/iso/lab/*.isoboot)
"$SCAN" --config "$TMP/c.conf" >>"$TMP/scan.log" 2>&1
got=0
for _ in $(seq 50); do
	curl -s --max-time 30 -o "$TMP/menu2.ipxe" "$B/boot.ipxe?memsize=4096"
	grep -q "$HID" "$TMP/menu2.ipxe" && got=1 && break
	sleep 0.2
done
check "after the edit and a rescan, lab/hidden.iso is in the menu" test "$got" = 1
check "and live.iso's SAN boot comes first, its file name again" grep -qxF \
	"item -- bios-$LIVE-san live (boot from SAN)" "$TMP/menu2.ipxe"
check "the default of the BIOS menu is a SAN item or the first ISO's" \
	grep -q "^choose --default bios-" "$TMP/menu2.ipxe"
check "the settings files are unchanged by the scan" \
	test "$(sha256sum "$TMP"/iso/*.isoboot "$TMP"/iso/lab/*.isoboot)" = "$sums_before"
check "isoboot-menu is still running" kill -0 "$MENU_PID"
finish
