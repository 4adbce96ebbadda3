#!/bin/bash
# Fetches the signed boot chain for UEFI Secure Boot clients from Debian's archive, with an apt
# state of its own (the machine's apt configuration and dpkg are left alone: the packages are
# never installed, as their maintainer scripts would touch this machine's boot), and unpacks
# them with dpkg-deb -x:
#   shim-signed                     Debian 12: /usr/lib/shim/shimx64.efi.signed (shim 16, signed
#                                   by Microsoft's UEFI CA; it trusts Debian's key)
#   grub-efi-amd64-signed           Debian 13: /usr/lib/grub/x86_64-efi-signed/
#                                   grubnetx64.efi.signed (GRUB 2.12 for network boot, signed by
#                                   Debian, with the http module the chain needs)
#   grub-efi-amd64-signed-bookworm  Debian 12's (GRUB 2.06), whose grubnetx64.efi has no http
#                                   module: secureboot-boot.sh's cell d shows what then happens
# Each unpacked package is checked against its .deb's md5sums; SHA256SUMS in the cache lists
# the files used, untouched. Into $ISOBOOT_SECUREBOOT_CACHE (default
# /var/cache/isoboot-tests/secureboot), outside the checkout, so that a fresh clone finds them.
# Prints the cache's path; does nothing more when it is complete.
#   tests/fetch-secureboot.sh [--quiet]
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source-path=SCRIPTDIR source=lib/apt-mirror.sh
. "$SRC/tests/lib/apt-mirror.sh"
CACHE=${ISOBOOT_SECUREBOOT_CACHE:-/var/cache/isoboot-tests/secureboot}
# Folder in the cache = package/suite.
PKGS=(
	shim-signed=shim-signed/bookworm
	grub-efi-amd64-signed=grub-efi-amd64-signed/trixie
	grub-efi-amd64-signed-bookworm=grub-efi-amd64-signed/bookworm
)
# What the packages must leave in the cache (checked, so that a half-done run is redone).
WANT=(
	shim-signed/usr/lib/shim/shimx64.efi.signed
	grub-efi-amd64-signed/usr/lib/grub/x86_64-efi-signed/grubnetx64.efi.signed
	grub-efi-amd64-signed-bookworm/usr/lib/grub/x86_64-efi-signed/grubnetx64.efi.signed
)
complete() { apt_cache_complete "$CACHE" SHA256SUMS "${WANT[@]}"; }
if complete; then
	echo "$CACHE"
	exit 0
fi

APT=$CACHE/apt
apt_own_state fetch-secureboot "$APT" amd64 bookworm trixie
rm -f "$CACHE/SHA256SUMS"
for p in "${PKGS[@]}"; do
	dir=${p%%=*} spec=${p#*=}
	name=${spec%/*}
	rm -rf "$APT/debs" && mkdir -p "$APT/debs"
	(cd "$APT/debs" && apt-get "${APT_OPTS[@]}" download "$spec") >"$APT/download.log" 2>&1 ||
		{ cat "$APT/download.log" >&2; echo "fetch-secureboot: cannot download $spec" >&2; exit 1; }
	debs=("$APT/debs/${name}"_*.deb)
	[ -e "${debs[0]}" ] || { echo "fetch-secureboot: no $spec package was downloaded" >&2; exit 1; }
	rm -rf "${CACHE:?}/$dir.tmp"
	dpkg-deb -x "${debs[0]}" "$CACHE/$dir.tmp"
	# The files as the package lists them (md5sums: "SUM  PATH", relative to /).
	dpkg-deb --ctrl-tarfile "${debs[0]}" | tar -xOf - ./md5sums >"$CACHE/$dir.tmp.md5sums"
	(cd "$CACHE/$dir.tmp" && md5sum --quiet -c "../$dir.tmp.md5sums") >&2 ||
		{ echo "fetch-secureboot: $spec: files differ from the package's md5sums" >&2; exit 1; }
	rm -rf "${CACHE:?}/$dir" "$CACHE/$dir.md5sums"
	mv "$CACHE/$dir.tmp" "$CACHE/$dir"
	mv "$CACHE/$dir.tmp.md5sums" "$CACHE/$dir.md5sums"
	printf '%s %s\n' "$(dpkg-deb -f "${debs[0]}" Version)" "${spec#*/}" >"$CACHE/$dir.version"
	[ "${1:-}" = --quiet ] || echo "fetch-secureboot: $(basename "${debs[0]}") (${spec#*/})" >&2
done
rm -rf "$APT/debs"
(cd "$CACHE" && sha256sum "${WANT[@]}") >"$CACHE/SHA256SUMS.tmp"
mv "$CACHE/SHA256SUMS.tmp" "$CACHE/SHA256SUMS"
complete || { echo "fetch-secureboot: the packages lack ${WANT[*]}" >&2; exit 1; }
echo "$CACHE"
