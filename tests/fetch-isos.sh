#!/bin/bash
# Fetches the third-party ISOs the tests and the demo use, from Debian's own packages, into
# .cache/isos (never committed). Does nothing when they are already there.
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${ISOBOOT_CACHE:-$SRC/.cache}
mkdir -p "$CACHE/debs" "$CACHE/isos"

declare -A WANT=(
	[memtest86+]=usr/lib/memtest86+/memtest86+x64.iso
	[grub-rescue-pc]=usr/lib/grub-rescue/grub-rescue-cdrom.iso
	[ipxe]=usr/lib/ipxe/ipxe.iso
)
for pkg in "${!WANT[@]}"; do
	iso=$CACHE/isos/$(basename "${WANT[$pkg]}")
	[ -s "$iso" ] && continue
	(cd "$CACHE/debs" && rm -f "${pkg}"_*.deb &&
		apt-get download "$pkg" >/dev/null 2>&1) ||
		{ apt-get update -qq && (cd "$CACHE/debs" && apt-get download "$pkg" >/dev/null); }
	debs=("$CACHE/debs/${pkg}"_*.deb)
	deb=${debs[0]}
	tmp=$(mktemp -d)
	dpkg-deb -x "$deb" "$tmp"
	cp "$tmp/${WANT[$pkg]}" "$iso.tmp"
	mv "$iso.tmp" "$iso"
	rm -rf "$tmp"
	echo "fetch-isos: $(basename "$iso") from $(basename "$deb")"
done
