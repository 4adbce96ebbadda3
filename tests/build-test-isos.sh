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
#   arm64.iso     ARM64 UEFI GRUB image that prints markers on the serial console, made with
#                 Debian 13's arm64-efi modules (tests/fetch-trixie.sh; Debian 12 has none for
#                 amd64); skipped, with a message, when they cannot be fetched
# Rebuilds only when this script or the GRUB config changed (arm64.iso: its own config or GRUB,
# and when it is missing, so that a run without the trixie cache is made up for later).
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${ISOBOOT_CACHE:-$SRC/.cache}
OUT=$CACHE/built
HIGH_MARK=ISOBOOT-HIGH-5e21c0d4
stamp=$(cat "$0" "$SRC/tests/data/isotree/grub.cfg" | sha256sum | cut -c1-16)
W=$(mktemp -d /tmp/isoboot-build-XXXXXX)
trap 'rm -rf "$W"' EXIT
LOG=$OUT/build.log
run() { "$@" >> "$LOG" 2>&1 || { echo "build-test-isos: failed: $*" >&2; tail -20 "$LOG" >&2; exit 1; }; }
MK=(grub-mkrescue --locales= --fonts= --themes=)

# arm64.iso. Debian 12's grub-mkrescue (2.06) takes Debian 13's arm64-efi modules (2.12):
# grub-mkimage only relocates and packs them. It has a stamp of its own, looked at on every run:
# the trixie cache lives outside the checkout and may appear after the other ISOs were built.
build_arm64() {
	local trixie mods st
	if ! trixie=$(bash "$SRC/tests/fetch-trixie.sh" --quiet 2>"$W/trixie.log"); then
		echo "build-test-isos: arm64.iso skipped: Debian 13's grub-efi-arm64-bin could not be" \
			"fetched ($(tail -n 1 "$W/trixie.log"))" >&2
		return 0
	fi
	mods=$trixie/grub-efi-arm64-bin/usr/lib/grub/arm64-efi
	st=$(cat "$SRC/tests/data/isotree/grub-arm64.cfg" "$mods/kernel.img" | sha256sum | cut -c1-16)
	if [ -s "$OUT/arm64.iso" ] && [ "$(cat "$OUT/arm64.stamp" 2>/dev/null)" = "$st" ]; then
		return 0
	fi
	mkdir -p "$W/arm64/boot/grub"
	cp "$SRC/tests/data/isotree/grub-arm64.cfg" "$W/arm64/boot/grub/grub.cfg"
	run "${MK[@]}" -d "$mods" -o "$OUT/arm64.iso" "$W/arm64"
	echo "$st" >"$OUT/arm64.stamp"
}
if [ -f "$OUT/stamp" ] && [ "$(cat "$OUT/stamp")" = "$stamp" ]; then
	build_arm64
	exit 0
fi
rm -rf "$OUT"
mkdir -p "$OUT"

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

build_arm64
echo "$stamp" > "$OUT/stamp"
ls -ls "$OUT"
