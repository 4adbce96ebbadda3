#!/bin/bash
# Builds three small live-Linux test ISOs with Debian 12's own tools and caches them outside the
# checkout, in ${ISOBOOT_LIVE_CACHE:-/var/cache/isoboot-tests}/live/, so every clone reuses them:
#   debian-live.iso   live-build (lb config + lb build): live-boot, iso-hybrid, BIOS (ISOLINUX) and
#                     UEFI (GRUB) El Torito entries and menus exactly as live-build writes them;
#                     only the kernel command line is ours (kernel log on ttyS0)
#   dracut-live.iso   a dracut LiveOS image in Fedora's layout, assembled by hand: debootstrap +
#                     dracut (dmsquash-live, livenet, network-legacy), LiveOS/squashfs.img,
#                     images/pxeboot/, isolinux/, EFI/BOOT/ + images/efiboot.img, isohybrid GPT
#   kiwi-live.iso     KIWI (kiwi-ng system build, openSUSE's image builder) from a description of a
#                     Debian 12 system: kiwi's own layout (boot/x86_64/loader/, LiveOS/), GRUB menus
#                     ($linux/$initrd commands) and hybrid ISO, in its dmsquash flavour, whose
#                     initrd has dracut's dmsquash-live and livenet (kiwi's default flavour, its
#                     kiwi-live module, finds its medium only on a local disk or over AoE)
# Once at multi-user.target each system writes one line to /dev/ttyS0, and then stays up:
#   ISOBOOT-LIVE-USERLAND family=live-boot|dracut|kiwi cmdline=<its /proc/cmdline>
# An ISO is rebuilt only when this script changed (the stamp is the script's sha256) or the ISO
# is missing; it is built under a temporary name and renamed into place when complete. An edit
# that cannot change the ISOs (a comment, a helper moved to tests/lib/) adds the stamp before it
# to SAME_ISOS, so that the cache it built stays good (a rebuild costs 16 minutes).
# Building needs root (debootstrap, chroot, mounts) and installs its own build dependencies with
# apt-get when they are missing. Noisy output goes to live/build.log. Prints one line per ISO.
#
# Usage: tests/build-live-isos.sh [debian-live.iso] [dracut-live.iso] [kiwi-live.iso] (default: all)
# Environment:
#   ISOBOOT_LIVE_CACHE   cache root (default /var/cache/isoboot-tests); the ISOs go to its live/
#   ISOBOOT_MIRROR       Debian mirror (default: the first bookworm main source of the apt configuration)
#   ISOBOOT_LIVE_FORCE   1: rebuild even when up to date
set -euo pipefail
SCRIPT=$(readlink -f "${BASH_SOURCE[0]}")
OUT=${ISOBOOT_LIVE_CACHE:-/var/cache/isoboot-tests}/live
LOG=$OUT/build.log
DIST=bookworm
LIVE_VOLID=ISOBOOT-LIVE
DRACUT_VOLID=ISOBOOT-DRACUT
KIWI_VOLID=ISOBOOT_KIWI
STAMP=$(sha256sum "$SCRIPT" | cut -d' ' -f1)
# Stamps of earlier versions of this script that build the same ISOs as this one.
SAME_ISOS=(
	03edc4d29a13300bcaa9a4455549251c65f2fd633000ef11243bd9c49d191514 # apt_mirror from tests/lib
	2a99b988b91f58f284451418376a3d632676b0ed0952bf89a74d3e205244b544 # kiwi-live.iso added
	1873edbcdc98190597d20d5003de76465ad85faea26cf35d71d818b756634328 # rsync in DEPS
	50b44f6d90bd30c7b03043e790ee9cf3502acc857a4efae3c8c97e0b9f862f97 # qemu-utils in DEPS
)
ALL=(debian-live.iso dracut-live.iso kiwi-live.iso)
# Host packages this script runs (live-build's chroot brings its own bootloaders and xorriso).
DEPS=(live-build debootstrap squashfs-tools xorriso isolinux syslinux-common grub-common
	grub-efi-amd64-bin mtools dosfstools e2fsprogs isomd5sum kiwi
	rsync qemu-utils) # kiwi-ng runs rsync and qemu-img, which the kiwi package does not depend on

die() { echo "build-live-isos: $*" >&2; exit 1; }

WANT=("$@")
[ ${#WANT[@]} -gt 0 ] || WANT=("${ALL[@]}")
for n in "${WANT[@]}"; do
	case $n in
	debian-live.iso | dracut-live.iso | kiwi-live.iso) ;;
	*) die "unknown ISO '$n' (known: ${ALL[*]})" ;;
	esac
done

up_to_date() {
	local have s
	[ "${ISOBOOT_LIVE_FORCE:-0}" != 1 ] && [ -s "$OUT/$1" ] && [ -f "$OUT/$1.stamp" ] || return 1
	have=$(head -n 1 "$OUT/$1.stamp")
	for s in "$STAMP" "${SAME_ISOS[@]}"; do [ "$have" = "$s" ] && return 0; done
	return 1
}

declare -A BUILT=()
# summary NAME: one line with the ISO's size and how long its build took.
summary() {
	local secs how=cached
	secs=$(sed -n 2p "$OUT/$1.stamp" 2>/dev/null || true)
	[ "${BUILT[$1]:-}" = 1 ] && how=built
	printf '%-16s %4d MiB  %s, build took %s s  (%s)\n' "$1" \
		"$(($(stat -c %s "$OUT/$1") / 1048576))" "$how" "${secs:-?}" "$OUT/$1"
}

# todo: the wanted ISOs that are missing or stale; prints the summary and exits when none is.
todo=()
find_todo() {
	local n
	todo=()
	for n in "${WANT[@]}"; do up_to_date "$n" || todo+=("$n"); done
	[ ${#todo[@]} -gt 0 ] && return 0
	for n in "${WANT[@]}"; do summary "$n"; done
	exit 0
}
find_todo
[ "$(id -u)" = 0 ] || die "building ${todo[*]} needs root (debootstrap, chroot, mounts)"
mkdir -p "$OUT"
exec 9>"$OUT/.lock"
flock -w 14400 9 || die "another build still holds $OUT/.lock"
# Another run may have built them while this one waited for the lock.
find_todo

echo "=== build-live-isos $(date -Is): ${todo[*]}" >"$LOG"
missing=()
for p in "${DEPS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "build-live-isos: installing ${missing[*]}"
	timeout 600 apt-get update -q >>"$LOG" 2>&1 || die "apt-get update failed (see $LOG)"
	timeout 1800 env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
		"${missing[@]}" >>"$LOG" 2>&1 || die "apt-get install ${missing[*]} failed (see $LOG)"
fi

# shellcheck source-path=SCRIPTDIR source=lib/apt-mirror.sh
. "$(dirname "$SCRIPT")/lib/apt-mirror.sh"
MIRROR=${ISOBOOT_MIRROR:-$(apt_mirror || true)}
[ -n "$MIRROR" ] || die "no 'deb ... bookworm main' source in the apt configuration (set ISOBOOT_MIRROR)"
echo "=== mirror $MIRROR" >>"$LOG"

# mounts_under DIR: mount points at or below DIR, deepest first.
mounts_under() { awk -v d="$1/" 'index($2 "/", d) == 1 { print $2 }' /proc/self/mounts | sort -r; }
# remove_tree DIR: unmounts whatever is still mounted below DIR, then removes DIR; refuses to
# remove anything while a mount is left (it could be the host's /dev).
remove_tree() {
	local m
	[ -d "$1" ] || return 0
	for m in $(mounts_under "$1"); do
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
	done
	if [ -n "$(mounts_under "$1")" ]; then
		echo "build-live-isos: mounts left under $1, not removing it:" >&2
		mounts_under "$1" >&2
		return 1
	fi
	rm -rf --one-file-system "$1"
}
# The work directory lives next to the results (same file system: the final mv is a rename).
W=$(mktemp -d "$OUT/.work-XXXXXX")
cleanup() {
	remove_tree "$W" || true
	rm -f "$OUT"/.*.iso.tmp
}
trap 'exit 130' INT TERM
trap cleanup EXIT

# run SECONDS COMMAND...: runs COMMAND with its output in the log, bounded by a timeout.
run() {
	local secs=$1
	shift
	printf '+ [%d s] %s\n' "$SECONDS" "$*" >>"$LOG"
	timeout -k 30 "$secs" "$@" </dev/null >>"$LOG" 2>&1 && return 0
	echo "build-live-isos: failed (or over its ${secs} s limit): $*" >&2
	tail -n 30 "$LOG" >&2
	exit 1
}

# marker_unit FAMILY: the systemd unit that reports reaching multi-user.target on the serial port.
marker_unit() {
	cat <<EOF
[Unit]
Description=Report on ttyS0 that isoboot's live test system reached multi-user.target
After=multi-user.target

[Service]
Type=oneshot
ExecStart=/bin/sh -c 'echo "ISOBOOT-LIVE-USERLAND family=$1 cmdline=\$\$(cat /proc/cmdline)" > /dev/ttyS0'

[Install]
WantedBy=multi-user.target
EOF
}

# --- debian-live.iso: live-build, configured by lb config; its boot menus are left as written.
build_debian_live() {
	local d=$W/lb
	mkdir -p "$d"
	run 300 env -C "$d" lb config \
		--mode debian --distribution "$DIST" --architecture amd64 --archive-areas main \
		--mirror-bootstrap "$MIRROR" --mirror-chroot "$MIRROR" --mirror-binary "$MIRROR" \
		--security false --updates false --backports false \
		--debootstrap-options "--variant=minbase" --apt-options "--yes -o Acquire::Retries=3" \
		--apt-recommends false --apt-indices false --apt-source-archives false --cache false \
		--linux-flavours amd64 --firmware-chroot false --firmware-binary false \
		--debian-installer none --memtest none --win32-loader false --loadlin false --zsync false \
		--binary-images iso-hybrid --bootloaders "syslinux grub-efi" --uefi-secure-boot disable \
		--chroot-squashfs-compression-type zstd \
		--bootappend-live "boot=live components console=tty0 console=ttyS0,115200n8" \
		--iso-volume "$LIVE_VOLID" --image-name debian-live
	# live-build's own live.list.chroot already holds live-boot live-config live-config-systemd
	# systemd-sysv; nothing else is added.
	mkdir -p "$d/config/includes.chroot_after_packages/etc/systemd/system" "$d/config/hooks/live" \
		"$d/config/rootfs"
	marker_unit live-boot \
		>"$d/config/includes.chroot_after_packages/etc/systemd/system/isoboot-live-marker.service"
	printf '#!/bin/sh\nset -e\nsystemctl enable isoboot-live-marker.service\n' \
		>"$d/config/hooks/live/9000-isoboot-live-marker.hook.chroot"
	chmod +x "$d/config/hooks/live/9000-isoboot-live-marker.hook.chroot"
	# The kernel and initrd are in live/ on the ISO already; leave their copies out of the squashfs.
	printf 'boot/initrd.img*\nboot/vmlinuz*\n' >"$d/config/rootfs/excludes"
	run 5400 env -C "$d" lb build
	[ -s "$d/debian-live-amd64.hybrid.iso" ] || die "lb build made no debian-live-amd64.hybrid.iso (see $LOG)"
	echo "debian-live: filesystem.squashfs $(stat -c %s "$d/binary/live/filesystem.squashfs") bytes" >>"$LOG"
	mv -f "$d/debian-live-amd64.hybrid.iso" "$OUT/.debian-live.iso.tmp"
	remove_tree "$d"
}

# --- dracut-live.iso: a Fedora-style LiveOS tree around a debootstrapped Debian 12.
ROOT=$W/root
in_root() {
	local secs=$1
	shift
	run "$secs" chroot "$ROOT" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C.UTF-8 \
		DEBIAN_FRONTEND=noninteractive "$@"
}
build_dracut_live() {
	local r=$ROOT t=$W/iso s=$W/scratch kver img
	mkdir -p "$s"
	run 1800 debootstrap --variant=minbase --include=systemd-sysv "$DIST" "$r" "$MIRROR"
	mount -t proc proc "$r/proc"
	mount -t sysfs sysfs "$r/sys"
	mount --bind /dev "$r/dev"
	mount --bind /dev/pts "$r/dev/pts"
	printf '#!/bin/sh\nexit 101\n' >"$r/usr/sbin/policy-rc.d"
	chmod +x "$r/usr/sbin/policy-rc.d"
	# Debian's dracut-network would pick systemd-networkd, which needs dbus in the initramfs; this
	# minimal system does ip=dhcp in the initramfs with dhclient: dracut's network-legacy.
	mkdir -p "$r/etc/dracut.conf.d"
	printf '# isoboot test image: ip=dhcp in the initramfs with dhclient\nadd_dracutmodules+=" network-legacy "\n' \
		>"$r/etc/dracut.conf.d/90-isoboot.conf"
	in_root 600 apt-get update -q
	# dracut (not initramfs-tools) makes the kernel's initramfs; curl is for livenet,
	# isc-dhcp-client (through dracut-network) for ip=dhcp, isomd5sum for rd.live.check.
	# INITRD=No: the kernel and dracut postinsts make no initramfs; the dracut run below does.
	in_root 2400 INITRD=No apt-get install -y -q --no-install-recommends -o Acquire::Retries=3 \
		dracut dracut-core dracut-live dracut-network curl linux-image-amd64 iproute2 procps isomd5sum
	marker_unit dracut >"$r/etc/systemd/system/isoboot-live-marker.service"
	in_root 60 systemctl enable isoboot-live-marker.service
	echo isoboot-dracut >"$r/etc/hostname"
	kver=$(basename "$(find "$r/lib/modules" -mindepth 1 -maxdepth 1 -type d | sort -V | tail -n 1)")
	[ -f "$r/boot/vmlinuz-$kver" ] || die "no kernel in the dracut root"
	in_root 1800 dracut --force --no-hostonly --no-hostonly-cmdline --add "dmsquash-live livenet" \
		"/boot/initrd.img-$kver" "$kver"
	in_root 60 lsinitrd -m "/boot/initrd.img-$kver"
	in_root 300 apt-get clean
	rm -rf "$r"/var/lib/apt/lists/* "$r/usr/sbin/policy-rc.d"
	: >"$r/etc/resolv.conf"
	umount "$r/dev/pts" "$r/dev" "$r/sys" "$r/proc"

	mkdir -p "$t/LiveOS" "$t/images/pxeboot" "$t/isolinux" "$t/EFI/BOOT" "$t/boot/grub2"
	cp "$r/boot/vmlinuz-$kver" "$t/images/pxeboot/vmlinuz"
	cp "$r/boot/initrd.img-$kver" "$t/images/pxeboot/initrd.img"
	chmod 0644 "$t/images/pxeboot/initrd.img"
	# Hard links: xorriso records each file once and both names point at the same blocks.
	ln "$t/images/pxeboot/vmlinuz" "$t/isolinux/vmlinuz"
	ln "$t/images/pxeboot/initrd.img" "$t/isolinux/initrd.img"
	rm -f "$r/boot/initrd.img-$kver"
	# Fedora's classic layout: LiveOS/squashfs.img holds LiveOS/rootfs.img, an ext4 image of the
	# root, which dmsquash-live puts under a device-mapper snapshot. (A squashfs holding the root
	# directly needs an OverlayFS overlay, which dracut 059 cannot mount from a systemd
	# initramfs: dracutdevs/dracut#1820.) mkfs.ext4 -d fills the sparse image without mounting it.
	mkdir -p "$s/sq/LiveOS"
	truncate -s "$(($(du -s -B 1M "$r" | cut -f1) * 5 / 4 + 256))M" "$s/sq/LiveOS/rootfs.img"
	run 1800 mkfs.ext4 -q -F -L ISOBOOT-ROOT -d "$r" "$s/sq/LiveOS/rootfs.img"
	remove_tree "$r"
	run 1800 mksquashfs "$s/sq" "$t/LiveOS/squashfs.img" -noappend -no-progress -comp zstd
	echo "dracut-live: rootfs.img $(du -B 1M --apparent-size "$s/sq/LiveOS/rootfs.img" | cut -f1) MiB," \
		"squashfs.img $(stat -c %s "$t/LiveOS/squashfs.img") bytes" >>"$LOG"
	rm -rf "$s/sq"

	cp /usr/lib/ISOLINUX/isolinux.bin "$t/isolinux/"
	cp /usr/lib/syslinux/modules/bios/{ldlinux,libcom32,libutil,vesamenu}.c32 "$t/isolinux/"
	cat >"$t/isolinux/isolinux.cfg" <<EOF
default vesamenu.c32
timeout 50

# Clear the screen when exiting the menu, instead of leaving the menu displayed.
menu clear
menu title ISOBOOT Dracut Live
menu tabmsg Press Tab for full configuration options on menu items.
menu separator # insert an empty line

label linux
  menu label ^Start ISOBOOT Dracut Live
  kernel vmlinuz
  append initrd=initrd.img root=live:CDLABEL=$DRACUT_VOLID rd.live.image quiet console=tty0 console=ttyS0,115200n8
  menu default

label check
  menu label Test this ^media & start ISOBOOT Dracut Live
  kernel vmlinuz
  append initrd=initrd.img root=live:CDLABEL=$DRACUT_VOLID rd.live.image rd.live.check quiet console=tty0 console=ttyS0,115200n8

menu separator # insert an empty line

label local
  menu label Boot from ^local drive
  localboot 0xffff
EOF
	cat >"$t/EFI/BOOT/grub.cfg" <<EOF
set default="0"

function load_video {
  insmod all_video
}

load_video
set gfxpayload=keep
insmod gzio
insmod part_gpt
insmod iso9660

set timeout=5
### END /etc/grub.d/00_header ###

search --no-floppy --set=root -l '$DRACUT_VOLID'

### BEGIN /etc/grub.d/10_linux ###
menuentry 'Start ISOBOOT Dracut Live' --class fedora --class gnu-linux --class gnu --class os {
	linux /images/pxeboot/vmlinuz root=live:CDLABEL=$DRACUT_VOLID rd.live.image quiet console=tty0 console=ttyS0,115200n8
	initrd /images/pxeboot/initrd.img
}
menuentry 'Test this media & start ISOBOOT Dracut Live' --class fedora --class gnu-linux --class gnu --class os {
	linux /images/pxeboot/vmlinuz root=live:CDLABEL=$DRACUT_VOLID rd.live.image rd.live.check quiet console=tty0 console=ttyS0,115200n8
	initrd /images/pxeboot/initrd.img
}
EOF
	cp "$t/EFI/BOOT/grub.cfg" "$t/boot/grub2/grub.cfg"

	# UEFI: a GRUB with its modules built in; it finds the ISO by label and reads EFI/BOOT/grub.cfg.
	cat >"$s/early.cfg" <<EOF
search --no-floppy --set=root -l '$DRACUT_VOLID'
set prefix=(\$root)/EFI/BOOT
configfile (\$root)/EFI/BOOT/grub.cfg
EOF
	run 120 grub-mkimage -O x86_64-efi -o "$t/EFI/BOOT/BOOTX64.EFI" -p /EFI/BOOT -c "$s/early.cfg" \
		normal configfile search search_label search_fs_file search_fs_uuid iso9660 part_gpt \
		part_msdos fat linux gzio echo test ls cat all_video efi_gop efi_uga video_bochs \
		video_cirrus font gfxterm gfxmenu terminal reboot halt chain
	img=$t/images/efiboot.img
	run 60 mkfs.vfat -n EFIBOOT -C "$img" $(($(stat -c %s "$t/EFI/BOOT/BOOTX64.EFI") / 1024 + 512))
	run 60 mmd -i "$img" ::/EFI ::/EFI/BOOT
	run 60 mcopy -i "$img" "$t/EFI/BOOT/BOOTX64.EFI" ::/EFI/BOOT/BOOTX64.EFI

	run 900 xorriso -as mkisofs -o "$s/dracut-live.iso" -V "$DRACUT_VOLID" -iso-level 3 -R -J \
		-joliet-long -isohybrid-mbr /usr/lib/ISOLINUX/isohdpfx.bin \
		-b isolinux/isolinux.bin -c isolinux/boot.cat -no-emul-boot -boot-load-size 4 -boot-info-table \
		-eltorito-alt-boot -e images/efiboot.img -no-emul-boot -isohybrid-gpt-basdat "$t"
	# The checksum that rd.live.check (checkisomd5) verifies.
	run 300 implantisomd5 "$s/dracut-live.iso"
	mv -f "$s/dracut-live.iso" "$OUT/.dracut-live.iso.tmp"
	remove_tree "$t"
	remove_tree "$s"
}

# --- kiwi-live.iso: kiwi-ng builds it from its image description (config.xml, and root/, a tree
# copied into the image). kiwi checks for openSUSE's name of the dracut module package; Debian
# names it differently, so that one check is off (kiwi.yml). dbus is for Debian's dracut-network;
# network-legacy (with isc-dhcp-client) does ip=dhcp in the initramfs, as in dracut-live.iso.
build_kiwi_live() {
	local d=$W/kiwi/desc o=$W/kiwi/out iso
	mkdir -p "$d/root/etc/systemd/system/multi-user.target.wants" "$d/root/etc/dracut.conf.d" "$o"
	cat >"$d/config.xml" <<EOF
<?xml version="1.0" encoding="utf-8"?>
<image schemaversion="7.5" name="isoboot-kiwi-live">
    <description type="system">
        <author>isoboot tests</author>
        <contact>isoboot@example.invalid</contact>
        <specification>Debian 12 live ISO in KIWI's layout, for isoboot's tests</specification>
    </description>
    <preferences>
        <version>1.0.0</version>
        <packagemanager>apt</packagemanager>
        <timezone>UTC</timezone>
        <type image="iso" primary="true" flags="dmsquash" firmware="efi"
              volid="$KIWI_VOLID" kernelcmdline="console=ttyS0">
            <bootloader name="grub2" timeout="3"/>
        </type>
    </preferences>
    <users>
        <user password="isoboot" pwdformat="plain" home="/root" name="root" groups="root"/>
    </users>
    <repository type="apt-deb" alias="$DIST" distribution="$DIST" components="main"
                repository_gpgcheck="false">
        <source path="$MIRROR"/>
    </repository>
    <packages type="image">
        <package name="linux-image-amd64"/>
        <package name="systemd-sysv"/>
        <package name="dracut"/>
        <package name="dracut-network"/>
        <package name="dracut-live"/>
        <package name="kiwi-dracut-live"/>
        <package name="isc-dhcp-client"/>
        <package name="curl"/>
        <package name="dbus"/>
        <package name="fdisk"/>
        <package name="procps"/>
        <package name="grub-pc-bin"/>
        <package name="grub-efi-amd64-bin"/>
    </packages>
    <packages type="bootstrap">
        <package name="ca-certificates"/>
    </packages>
</image>
EOF
	marker_unit kiwi >"$d/root/etc/systemd/system/isoboot-live-marker.service"
	ln -s ../isoboot-live-marker.service "$d/root/etc/systemd/system/multi-user.target.wants/"
	printf '# isoboot test image: ip=dhcp in the initramfs with dhclient\nadd_dracutmodules+=" network-legacy "\n' \
		>"$d/root/etc/dracut.conf.d/90-isoboot.conf"
	printf 'runtime_checks:\n  - disable: check_dracut_module_for_live_iso_in_package_list\n' >"$W/kiwi/kiwi.yml"
	run 3600 kiwi-ng --config "$W/kiwi/kiwi.yml" system build --description "$d" --target-dir "$o"
	iso=$(find "$o" -maxdepth 1 -name '*.iso' | head -n 1)
	[ -n "$iso" ] || die "kiwi-ng made no ISO (see $LOG)"
	mv -f "$iso" "$OUT/.kiwi-live.iso.tmp"
	remove_tree "$W/kiwi"
}

for n in "${todo[@]}"; do
	rm -f "$OUT/$n.stamp"
	t0=$SECONDS
	echo "build-live-isos: building $n (log: $LOG)"
	echo "=== $n" >>"$LOG"
	case $n in
	debian-live.iso) build_debian_live ;;
	dracut-live.iso) build_dracut_live ;;
	kiwi-live.iso) build_kiwi_live ;;
	esac
	mv -f "$OUT/.$n.tmp" "$OUT/$n"
	printf '%s\n%s\n' "$STAMP" "$((SECONDS - t0))" >"$OUT/$n.stamp"
	BUILT[$n]=1
done
for n in "${WANT[@]}"; do summary "$n"; done
