#!/bin/bash
# Fetches the Debian 13 (trixie) packages that the HTTPS and ARM64 tests need and that Debian 12
# lacks, from the same archive as this machine's apt sources, with an apt state of its own (the
# machine's apt configuration and dpkg are left alone), and unpacks them:
#   ipxe                     iPXE 1.21.1: HTTPS, the UEFI TlsCaCertificate trust, ipxe-arm64.efi
#   grub-efi-arm64-bin:arm64 GRUB's arm64-efi modules, for an ARM64 test ISO (grub-mkrescue -d)
# Into $ISOBOOT_TRIXIE_CACHE (default /var/cache/isoboot-tests/trixie), outside the checkout, so
# that a fresh clone finds them. Prints the cache's path; does nothing more when it is complete.
#   tests/fetch-trixie.sh [--quiet]
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source-path=SCRIPTDIR source=lib/apt-mirror.sh
. "$SRC/tests/lib/apt-mirror.sh"
CACHE=${ISOBOOT_TRIXIE_CACHE:-/var/cache/isoboot-tests/trixie}
PKGS=(ipxe grub-efi-arm64-bin:arm64)
# What each package must leave in the cache (checked, so that a half-done run is redone).
WANT=(
	ipxe/usr/lib/ipxe/snponly.efi
	ipxe/usr/lib/ipxe/ipxe-arm64.efi
	grub-efi-arm64-bin/usr/lib/grub/arm64-efi/linux.mod
)
complete() { apt_cache_complete "$CACHE" "${WANT[@]}"; }
if complete; then
	echo "$CACHE"
	exit 0
fi

APT=$CACHE/apt
apt_own_state fetch-trixie "$APT" amd64,arm64 trixie
rm -f "$APT/debs/"*.deb
(cd "$APT/debs" && apt-get "${APT_OPTS[@]}" download "${PKGS[@]}") >"$APT/download.log" 2>&1 ||
	{ cat "$APT/download.log" >&2; echo "fetch-trixie: cannot download ${PKGS[*]}" >&2; exit 1; }
for p in "${PKGS[@]}"; do
	name=${p%%:*}
	debs=("$APT/debs/${name}"_*.deb)
	[ -e "${debs[0]}" ] || { echo "fetch-trixie: no $name package was downloaded" >&2; exit 1; }
	rm -rf "${CACHE:?}/$name.tmp"
	dpkg-deb -x "${debs[0]}" "$CACHE/$name.tmp"
	rm -rf "${CACHE:?}/$name"
	mv "$CACHE/$name.tmp" "$CACHE/$name"
	[ "${1:-}" = --quiet ] || echo "fetch-trixie: $(basename "${debs[0]}")" >&2
done
complete || { echo "fetch-trixie: the packages lack ${WANT[*]}" >&2; exit 1; }
echo "$CACHE"
