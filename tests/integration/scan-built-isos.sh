#!/bin/bash
# isoboot-scan on ISOs the test setup builds with xorriso and grub-mkrescue: an image over 4 GiB
# with a file stored past 4 GiB, and trees in each naming scheme (Rock Ridge, Joliet, plain).
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
need_cmd xorriso

BIG=$(built_iso big.iso)
mkdir -p "$TMP/iso/linux" "$TMP/state"
for f in small big layouts joliet plain; do
	ln "$(built_iso $f.iso)" "$TMP/iso/linux/$f.iso" 2>/dev/null || cp --sparse=always "$(built_iso $f.iso)" "$TMP/iso/linux/$f.iso"
done
write_config "$TMP/c.conf" "$TMP/iso" "$TMP/state"
guard_isos "$TMP/iso"
check "scan exits 0" "$SCAN" --config "$TMP/c.conf"
CAT=$TMP/state/catalog
check "5 ISOs catalogued" grep -qx 'end 5' "$CAT"

# Over 4 GiB: sizes are 64-bit all the way.
big=$(catalog_id_of "$CAT" linux/big.iso)
size=$(stat -c %s "$BIG")
check "big.iso is over 4 GiB ($size bytes)" test "$size" -gt 4294967296
check "big.iso size in the catalog" test "$(catalog_field "$CAT" "$big" size)" = "$size"
check "big.iso volume size past 4 GiB" test "$(catalog_field "$CAT" "$big" volume-size)" -gt 4294967296
check "big.iso has BIOS no-emulation and UEFI entries" test \
	"$(awk -v id="$big" '$1 == "iso" { cur = $2 } cur == id && $1 == "boot" { print $2, $3 }' "$CAT" | tr '\n' ' ')" = "bios noemul uefi noemul "
check "big.iso is hybrid (MBR and GPT)" test \
	"$(awk -v id="$big" '$1 == "iso" { cur = $2 } cur == id && $1 == "hybrid" { print $2 }' "$CAT" | tr '\n' ' ')" = "mbr gpt "

# The path lookup finds the file past 4 GiB where xorriso says it is, and the bytes there are it.
lba=$(xorriso -indev "$BIG" -find /zzhigh -type f -exec report_lba -- 2>/dev/null |
	awk -F, '/marker.txt/ { gsub(/ /, "", $2); print $2 }')
line=$("$SCAN" --inspect "$BIG" /zzhigh/marker.txt | grep '^file ')
off=$(echo "$line" | awk '{ print $3 }')
len=$(echo "$line" | awk '{ print $4 }')
check "marker offset matches xorriso (LBA $lba)" test "$off" = "$((lba * 2048))"
check "marker lies past 4 GiB ($off)" test "$off" -gt 4294967296
got=$(dd if="$BIG" skip="$off" count="$len" status=none iflag=skip_bytes,count_bytes bs=4096)
check "bytes at that offset are the marker" test "$got" = "$(cat "$(dirname "$BIG")/big.marker")"

# Layouts, recognised in every naming scheme.
layouts_of() { awk -v id="$(catalog_id_of "$CAT" "$1")" '$1 == "iso" { cur = $2 } cur == id && $1 == "layout" { print $2 }' "$CAT" | sort | tr '\n' ' '; }
check "Rock Ridge tree: every layout" test "$(layouts_of linux/layouts.iso)" = \
	"arch casper debian-installer live liveos pxeboot windows "
check "Joliet-only tree: LiveOS" test "$(layouts_of linux/joliet.iso)" = "liveos "
check "plain ISO 9660 tree: CASPER" test "$(layouts_of linux/plain.iso)" = "casper "
check "GRUB image: no layout" test "$(layouts_of linux/small.iso)" = ""
check "Joliet long names resolve" grep -q '^file docs/a-rather-long-file-name.txt ' \
	<("$SCAN" --inspect "$(built_iso joliet.iso)" docs/a-rather-long-file-name.txt)
check "every ISO is in group linux" test "$(grep -c '^group linux$' "$CAT")" = 5
finish
