#!/bin/bash
# isoboot-scan against real third-party ISOs from Debian packages, checked against what xorriso,
# an independent ISO 9660 implementation, reports for the same files.
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
need_cmd xorriso

mkdir -p "$TMP/iso/tools" "$TMP/state"
cp "$(third_party_iso memtest86+x64.iso)" "$TMP/iso/"
cp "$(third_party_iso grub-rescue-cdrom.iso)" "$TMP/iso/"
cp "$(third_party_iso ipxe.iso)" "$TMP/iso/tools/"
write_config "$TMP/c.conf" "$TMP/iso" "$TMP/state"
guard_isos "$TMP/iso"

check "scan exits 0" "$SCAN" --config "$TMP/c.conf"
CAT=$TMP/state/catalog
check "catalog written" test -s "$CAT"
check "catalog lists 3 ISOs" grep -qx 'end 3' "$CAT"

# What xorriso says, in the catalog's words: "boot <platform> <emulation> <lba> <count>" lines.
xorriso_boot_lines() {
	xorriso -indev "$1" -report_el_torito plain 2>/dev/null | awk '
		/^El Torito boot img :/ {
			# El Torito boot img : N Pltf B Emul Ld_seg Hdpt Ldsiz LBA
			if ($8 != "y") next
			p = tolower($7); e = $9
			if (e == "none") e = "noemul"; else if (e == "fd1.2") e = "floppy1200"
			else if (e == "fd1.4") e = "floppy1440"; else if (e == "fd2.8") e = "floppy2880"
			else if (e == "hd") e = "hdd"
			print "boot " p " " e " " $13 " " $12
		}'
}

for rel in memtest86+x64.iso grub-rescue-cdrom.iso tools/ipxe.iso; do
	f=$TMP/iso/$rel
	id=$(catalog_id_of "$CAT" "$rel")
	if [ -z "$id" ]; then
		fail "$rel is in the catalog"
		continue
	fi
	pass "$rel is in the catalog as $id"
	want_label=$(xorriso -indev "$f" -pvd_info 2>/dev/null | sed -n 's/^Volume Id *: //p')
	check "$rel label matches xorriso ($want_label)" \
		test "$(catalog_field "$CAT" "$id" label)" = "$want_label"
	check "$rel size is the file size" \
		test "$(catalog_field "$CAT" "$id" size)" = "$(stat -c %s "$f")"
	want_blocks=$(xorriso -indev "$f" -toc 2>/dev/null | sed -n 's/.*ISO session  *: *1 *, *[0-9]* *, *\([0-9]*\)s.*/\1/p')
	check "$rel volume size matches xorriso ($want_blocks blocks)" \
		test "$(catalog_field "$CAT" "$id" volume-size)" = "$((want_blocks * 2048))"
	want=$(xorriso_boot_lines "$f")
	got=$(awk -v id="$id" '$1 == "iso" { cur = $2 } cur == id && $1 == "boot"' "$CAT")
	check "$rel El Torito entries match xorriso" test "$want" = "$got"
	[ "$want" = "$got" ] || printf '# xorriso:\n%s\n# isoboot:\n%s\n' "$want" "$got"
done

# What the menu relies on, stated plainly.
mt=$(catalog_id_of "$CAT" memtest86+x64.iso)
check "memtest86+ has a floppy-emulation BIOS entry" grep -q '^boot bios floppy1440 ' \
	<(awk -v id="$mt" '$1 == "iso" { cur = $2 } cur == id' "$CAT")
check "memtest86+ has a UEFI entry" grep -q '^boot uefi noemul ' \
	<(awk -v id="$mt" '$1 == "iso" { cur = $2 } cur == id' "$CAT")
check "memtest86+ label is MT86PLUS_64" test "$(catalog_field "$CAT" "$mt" label)" = MT86PLUS_64
gr=$(catalog_id_of "$CAT" grub-rescue-cdrom.iso)
check "grub-rescue is BIOS no-emulation only" test \
	"$(awk -v id="$gr" '$1 == "iso" { cur = $2 } cur == id && $1 == "boot" { print $2, $3 }' "$CAT")" = "bios noemul"
ip=$(catalog_id_of "$CAT" tools/ipxe.iso)
check "ipxe.iso sits in group 'tools'" test "$(catalog_field "$CAT" "$ip" group)" = tools
check "IQNs are valid and carry the id" grep -qx "iqn iqn.2025-01.org.isoboot:$ip" \
	<(awk -v id="$ip" '$1 == "iso" { cur = $2 } cur == id' "$CAT")

# Ids survive a rescan, and other ISOs coming and going.
before=$(grep '^iso ' "$CAT")
guard_mv "$TMP/iso/grub-rescue-cdrom.iso" "$TMP/removed.iso"
cp "$(third_party_iso grub-rescue-cdrom.iso)" "$TMP/iso/tools/another.iso"
"$SCAN" --config "$TMP/c.conf" 2> "$TMP/rescan.log"
check "memtest86+ keeps its id" grep -qx "iso $mt" "$CAT"
check "ipxe keeps its id" grep -qx "iso $ip" "$CAT"
check "the rescan logs the new ISO" grep -q "Added tools/another.iso" "$TMP/rescan.log"
check "the rescan logs the removed ISO" grep -q "Removed grub-rescue-cdrom.iso" "$TMP/rescan.log"
check "the catalog changed" test "$before" != "$(grep '^iso ' "$CAT")"

# The scanner reads only metadata: a few dozen KiB per image, never the whole file.
if command -v strace >/dev/null 2>&1; then
	# LeakSanitizer cannot run under ptrace.
	ASAN_OPTIONS=detect_leaks=0 strace -f -e trace=pread64,read -o "$TMP/strace" "$SCAN" --config "$TMP/c.conf" 2>/dev/null
	bytes=$(awk -F'= ' '/pread64\(/ { s += $NF } END { print s + 0 }' "$TMP/strace")
	check "scan of 3 ISOs reads under 512 KiB with pread ($bytes bytes)" test "$bytes" -lt 524288
fi
finish
