#!/bin/bash
# Installs, with apt-get, every Debian 12 package that building, running and testing isoboot
# needs. Installs nothing when all are present. Needs root (or sudo).
set -euo pipefail
PKGS=(
	# build
	gcc meson ninja-build pkg-config scdoc
	libsystemd-dev libinih-dev nettle-dev libmicrohttpd-dev
	# isoboot-web: TLS (GnuTLS) and password hashes (libxcrypt)
	libgnutls28-dev libcrypt-dev libcurl4-gnutls-dev
	# checks and fuzzing
	clang libclang-rt-14-dev clang-format shellcheck
	# real iSCSI peers: libiscsi's initiator tools, and the library for our test tools
	libiscsi-bin libiscsi-dev
	# test ISOs and their inspection
	xorriso grub-common grub-pc-bin grub-efi-amd64-bin mtools
	# QEMU boot tests (tests/vm): QEMU, SeaBIOS, iPXE NIC ROMs, OVMF, DHCP + IPv6 RA
	qemu-system-x86 seabios ipxe-qemu ovmf dnsmasq-base systemd
	# the TFTP boot chain (pxelinux, iPXE binaries, tftp-hpa server and client), OCR of screens
	pxelinux ipxe tftpd-hpa tftp-hpa tesseract-ocr
	# test tools
	socat strace util-linux procps iproute2 python3 hyperfine ca-certificates curl openssl
	# the boot storm benchmark's loopback baseline
	iperf3
	# the admin page in a real browser; crypt(3) from perl for isoboot-passwd's test
	chromium chromium-driver python3-selenium perl
	# test journals for isoboot-web's boot activity; a private bus for its unit states
	systemd-journal-remote dbus-daemon
	# crafted DHCP packets against isoboot-proxydhcp
	python3-scapy
	# boot files isoboot serves: syslinux's memdisk (floppy-emulation ISOs on BIOS)
	syslinux-common
	# packages: the .deb (debhelper, lintian) and the .rpm (Debian's rpm, rpmlint)
	build-essential debhelper lintian rpm rpmlint elfutils
	# the user's story under a booted systemd: a Debian 12 tree, systemd-nspawn
	debootstrap systemd-container
	# live-Linux test ISOs (tests/build-live-isos.sh): live-build, squashfs, ISOLINUX, the EFI FAT
	# image, the ext4 root image, the media checksum
	live-build squashfs-tools isolinux dosfstools e2fsprogs isomd5sum
	# ARM64 UEFI clients (tests/vm/arm64-boot.sh): QEMU for aarch64 and its UEFI firmware (AAVMF)
	qemu-system-arm qemu-efi-aarch64
	# HTTPS boot (tests/vm/https-boot.sh): a test CA and server certificate (certtool)
	gnutls-bin
)
missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi
SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo
echo "install-deps: installing ${missing[*]}"
$SUDO apt-get update -q
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
