#!/bin/bash
# Builds the team-made test ISOs into .cache/built (never committed):
#   small.iso     hybrid BIOS+UEFI GRUB image (grub-mkrescue) that prints markers on serial
#   big.iso       the same plus 4.5 GiB of sparse padding and /zzhigh/marker.txt past 4 GiB
#   layouts.iso   Rock Ridge + Joliet tree with every layout isoboot recognises
#   joliet.iso    Joliet only (no Rock Ridge), with LiveOS/
#   plain.iso     bare ISO 9660 level 1 names, with CASPER/
#   files.iso     Rock Ridge + Joliet tree for /iso/<id>/files: a 4.5 GiB file of several extents
#                 (ISO level 3) with data around its extent boundaries, symbolic links inside and
#                 out, names with blanks and UTF-8, an empty file, a deep path
# Rebuilds only when this script or the GRUB config changed.
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${ISOBOOT_CACHE:-$SRC/.cache}
OUT=$CACHE/built
HIGH_MARK=ISOBOOT-HIGH-5e21c0d4
stamp=$(cat "$0" "$SRC/tests/data/isotree/grub.cfg" | sha256sum | cut -c1-16)
if [ -f "$OUT/stamp" ] && [ "$(cat "$OUT/stamp")" = "$stamp" ]; then
	exit 0
fi
rm -rf "$OUT"
mkdir -p "$OUT"
W=$(mktemp -d /tmp/isoboot-build-XXXXXX)
trap 'rm -rf "$W"' EXIT
LOG=$OUT/build.log
run() { "$@" >> "$LOG" 2>&1 || { echo "build-test-isos: failed: $*" >&2; tail -20 "$LOG" >&2; exit 1; }; }

MK=(grub-mkrescue --locales= --fonts= --themes=)
mkdir -p "$W/small/boot/grub" "$W/big/boot/grub" "$W/big/pad" "$W/big/zzhigh"
cp "$SRC/tests/data/isotree/grub.cfg" "$W/small/boot/grub/grub.cfg"
cp "$SRC/tests/data/isotree/grub.cfg" "$W/big/boot/grub/grub.cfg"
run "${MK[@]}" -o "$OUT/small.iso" "$W/small"

# Sparse padding that xorriso lays out before zzhigh/, pushing the marker past 4 GiB.
truncate -s 2304M "$W/big/pad/pad1.bin"
truncate -s 2304M "$W/big/pad/pad2.bin"
echo "$HIGH_MARK" > "$W/big/zzhigh/marker.txt"
run "${MK[@]}" -o "$OUT/big.iso" "$W/big"
fallocate --dig-holes "$OUT/big.iso"
echo "$HIGH_MARK" > "$OUT/big.marker"

mkdir -p "$W/layouts/casper" "$W/layouts/live" "$W/layouts/arch" "$W/layouts/LiveOS" \
	"$W/layouts/sources" "$W/layouts/install.amd" "$W/layouts/images/pxeboot"
echo kernel > "$W/layouts/casper/vmlinuz"
echo wim > "$W/layouts/sources/boot.wim"
echo squash > "$W/layouts/LiveOS/squashfs.img"
run xorriso -as mkisofs -R -J -V LAYOUTS -o "$OUT/layouts.iso" "$W/layouts"

mkdir -p "$W/joliet/LiveOS" "$W/joliet/docs"
echo x > "$W/joliet/docs/a-rather-long-file-name.txt"
run xorriso -rockridge off -joliet on -volid JOLIET -outdev "$OUT/joliet.iso" -map "$W/joliet" /

mkdir -p "$W/plain/casper"
echo x > "$W/plain/casper/vmlinuz"
run xorriso -rockridge off -joliet off -volid PLAIN -outdev "$OUT/plain.iso" -map "$W/plain" /

# files.iso. The huge file is sparse, with random data where extents meet (xorriso cuts a file
# into extents of 4 GiB - 2 KiB) and at both ends; the source is kept (sparse) for comparisons.
F=$W/files
mkdir -p "$F/docs" "$F/dir with space" "$F/deep/a/b/c/d/e"
truncate -s 4608M "$OUT/files-huge.bin"
for at in 0 4095 4097 4606; do # MiB
	head -c 1048576 /dev/urandom | dd of="$OUT/files-huge.bin" bs=1M seek="$at" conv=notrunc status=none
done
ln "$OUT/files-huge.bin" "$F/huge.bin" 2>/dev/null || cp --sparse=always "$OUT/files-huge.bin" "$F/huge.bin"
head -c 123457 /dev/urandom > "$F/docs/readme.txt"
head -c 5000 /dev/urandom > "$F/dir with space/file ü.txt"
: > "$F/empty"
echo deep > "$F/deep/a/b/c/d/e/f.txt"
ln -s docs/readme.txt "$F/link"
ln -s /etc/passwd "$F/escape"
ln -s docs "$F/linkdir"
run xorriso -as mkisofs -iso-level 3 -R -J -V FILES -o "$OUT/files.iso" "$F"
fallocate --dig-holes "$OUT/files.iso"

echo "$stamp" > "$OUT/stamp"
ls -ls "$OUT"
