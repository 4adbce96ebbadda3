#!/bin/bash
# The UEFI architectures isoboot-scan records (efi-arch), on ISOs made by grub-mkrescue with real
# GRUB loaders: x86_64-efi, and arm64-efi from Debian 13's modules (tests/fetch-trixie.sh) when
# they are there; xorriso images whose loaders are only in the ISO 9660 tree (no UEFI El Torito
# entry, or one pointing at no FAT), and one with none; the fetched third-party ISOs.
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
need_cmd grub-mkrescue xorriso mcopy mformat
ARM64_MODS=${ISOBOOT_TRIXIE_CACHE:-/var/cache/isoboot-tests/trixie}/grub-efi-arm64-bin/usr/lib/grub/arm64-efi

mkdir -p "$TMP/iso" "$TMP/state" "$TMP/tree/boot/grub" "$TMP/loaders"
echo 'echo isoboot' > "$TMP/tree/boot/grub/grub.cfg"
MK=(grub-mkrescue --locales= --fonts= --themes=)
# mkrescue ARCH_DIR OUT: a GRUB rescue ISO for that platform only.
mkrescue() {
	"${MK[@]}" -d "$1" -o "$2" "$TMP/tree" >>"$TMP/build.log" 2>&1 ||
		{ tail -20 "$TMP/build.log"; fail "grub-mkrescue -d $1"; finish; }
}
# loader ISO NAME OUT: copies \EFI\BOOT\NAME out of the ISO's UEFI El Torito image.
loader() {
	local rba
	rba=$("$SCAN" --config /dev/null --inspect "$1" 2>/dev/null | awk '$1 == "boot" && $2 == "uefi" { print $4; exit }')
	mcopy -n -i "$1@@$((rba * 2048))" "::/EFI/BOOT/$2" "$3"
}

mkrescue /usr/lib/grub/x86_64-efi "$TMP/iso/grub-x64.iso"
loader "$TMP/iso/grub-x64.iso" BOOTX64.EFI "$TMP/loaders/BOOTX64.EFI"
check "GRUB's x64 loader is a PE image" test "$(head -c 2 "$TMP/loaders/BOOTX64.EFI")" = MZ
have_arm64=0
if [ -s "$ARM64_MODS/linux.mod" ]; then
	have_arm64=1
	mkrescue "$ARM64_MODS" "$TMP/iso/grub-arm64.iso"
	loader "$TMP/iso/grub-arm64.iso" BOOTAA64.EFI "$TMP/loaders/BOOTAA64.EFI"
elif [ "${ISOBOOT_REQUIRE_ALL:-0}" = 1 ]; then
	fail "GRUB's arm64-efi modules are missing (run tests/fetch-trixie.sh)"
else
	log "no ARM64 ISO: GRUB's arm64-efi modules are missing (run tests/fetch-trixie.sh)"
fi

# Loaders only in the ISO 9660 tree: no UEFI El Torito entry at all, and one whose image is not
# a FAT file system (a hybrid image whose ESP went missing).
mkdir -p "$TMP/hybrid/EFI/BOOT" "$TMP/broken/EFI/BOOT" "$TMP/plain/docs"
cp "$TMP/loaders/"* "$TMP/hybrid/EFI/BOOT/"
cp "$TMP/loaders/BOOTX64.EFI" "$TMP/broken/EFI/BOOT/bootx64.efi"
head -c 65536 /dev/zero | tr '\0' x >"$TMP/broken/efi.img"
echo x >"$TMP/plain/docs/readme"
{
	xorriso -as mkisofs -R -J -V HYBRID -o "$TMP/iso/tree-only.iso" "$TMP/hybrid" &&
		xorriso -as mkisofs -R -J -V BROKEN -o "$TMP/iso/broken-esp.iso" -e efi.img \
			-no-emul-boot "$TMP/broken" &&
		xorriso -as mkisofs -R -J -V PLAIN -o "$TMP/iso/plain.iso" "$TMP/plain"
} >>"$TMP/build.log" 2>&1 || { tail -20 "$TMP/build.log"; fail "xorriso"; finish; }
for f in memtest86+x64.iso ipxe.iso; do
	[ -s "$CACHE/isos/$f" ] && cp "$CACHE/isos/$f" "$TMP/iso/"
done

write_config "$TMP/c.conf" "$TMP/iso" "$TMP/state"
guard_isos "$TMP/iso"
check "scan exits 0" "$SCAN" --config "$TMP/c.conf" --debug 2>"$TMP/scan.log"
CAT=$TMP/state/catalog
arch_of() { catalog_field "$CAT" "$(catalog_id_of "$CAT" "$1")" efi-arch; }
boots_of() { awk -v id="$(catalog_id_of "$CAT" "$1")" '$1 == "iso" { cur = $2 } cur == id && $1 == "boot" { print $2 }' "$CAT" | tr '\n' ' '; }

check "GRUB x86_64-efi ISO: one UEFI entry" test "$(boots_of grub-x64.iso)" = "uefi "
check "GRUB x86_64-efi ISO: efi-arch x64" test "$(arch_of grub-x64.iso)" = x64
check "--inspect shows it" grep -qx 'efi-arch x64' <("$SCAN" --config /dev/null --inspect "$TMP/iso/grub-x64.iso" 2>/dev/null)
if [ "$have_arm64" = 1 ]; then
	check "GRUB arm64-efi ISO: efi-arch arm64" test "$(arch_of grub-arm64.iso)" = arm64
	check "GRUB's arm64 loader is a PE image" test "$(head -c 2 "$TMP/loaders/BOOTAA64.EFI")" = MZ
	check "loaders only in the tree: x64 and arm64" test "$(arch_of tree-only.iso)" = "x64 arm64"
else
	check "loaders only in the tree: x64" test "$(arch_of tree-only.iso)" = x64
fi
check "tree-only.iso has no El Torito entry" test "$(boots_of tree-only.iso)" = ""
check "broken-esp.iso has a UEFI entry" test "$(boots_of broken-esp.iso)" = "uefi "
check "broken-esp.iso: x64 from its tree" test "$(arch_of broken-esp.iso)" = x64
check "plain.iso: no efi-arch line" test -z "$(arch_of plain.iso)"
check "plain.iso is catalogued" test -n "$(catalog_id_of "$CAT" plain.iso)"
check "the scan says why plain.iso's are unknown" \
	grep -q 'plain.iso: UEFI architectures unknown (x64 assumed): no UEFI El Torito entry' "$TMP/scan.log"
check "--inspect says so too" grep -q 'UEFI architectures unknown' \
	<("$SCAN" --config /dev/null --inspect "$TMP/iso/plain.iso" 2>&1 >/dev/null)
for f in memtest86+x64.iso ipxe.iso; do
	if [ -s "$TMP/iso/$f" ]; then
		check "$f: efi-arch x64" test "$(arch_of "$f")" = x64
	else
		log "$f not fetched (tests/fetch-isos.sh)"
	fi
done
finish
