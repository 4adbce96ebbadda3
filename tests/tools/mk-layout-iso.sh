#!/bin/bash
# mk-layout-iso.sh FAMILY OUT.iso [KERNEL]: an ISO with the tree and boot configuration of a
# family that cannot be built on Debian (casper: Ubuntu 24.04's GRUB menu, casper/ with layered
# squashfs images; archiso: Arch's syslinux hand-over and GRUB menu, arch/boot and
# arch/x86_64/airootfs.sfs; anaconda: Fedora's DVD, GRUB menu, images/install.img and a
# package repository; alpine: syslinux and GRUB, modloop and apks/; kiwi: openSUSE's live
# GRUB menu and LiveOS image; debian-installer: Debian 12's netinst and its installer's medium;
# gentoo: its minimal CD's GRUB menu, a family with no recipe), with
# BIOS and UEFI El Torito entries. KERNEL is a real Linux kernel to put in it (a VM then starts
# it); without it, a stand-in with the x86 boot header. The initrd and root images are filler:
# what the tests check is the recipe, the menu's lines and the kernel's command line.
# Every entry also passes console=ttyS0,115200 so that the kernel prints its command line on the
# serial console.
set -euo pipefail
family=$1 out=$2 kernel=${3:-}
W=$(mktemp -d /tmp/isoboot-layout-XXXXXX)
trap 'rm -rf "$W"' EXIT
T=$W/tree

put_kernel() { # DEST
	mkdir -p "$(dirname "$1")"
	if [ -n "$kernel" ]; then
		cp "$kernel" "$1"
	else
		head -c 16384 /dev/zero >"$1"
		printf 'HdrS' | dd of="$1" bs=1 seek=514 conv=notrunc status=none
	fi
}
filler() { # DEST BYTES
	mkdir -p "$(dirname "$1")"
	head -c "$2" /dev/urandom >"$1"
}

mkdir -p "$T/boot/grub/i386-pc" "$T/EFI/boot"
head -c 2048 /dev/zero >"$T/boot/grub/i386-pc/eltorito.img"
head -c 65536 /dev/zero >"$T/EFI/boot/efiboot.img"
case $family in
casper)
	put_kernel "$T/casper/vmlinuz"
	filler "$T/casper/initrd" 4096
	filler "$T/casper/minimal.squashfs" 1048576
	filler "$T/casper/minimal.standard.squashfs" 524288
	mkdir -p "$T/.disk"
	printf 'Ubuntu 24.04.1 LTS "Noble Numbat" - Release amd64 (20240827)\n' >"$T/.disk/info"
	# As Ubuntu 24.04's: no boot=casper (the initrd boots casper by default), and the local
	# ISO's path for loopback boots.
	cat >"$T/boot/grub/grub.cfg" <<'EOF'
set timeout=30

loadfont unicode

set menu_color_normal=white/black
set menu_color_highlight=black/light-gray

menuentry "Try or Install Ubuntu" {
	set gfxpayload=keep
	linux	/casper/vmlinuz  iso-scan/filename=${iso_path} --- quiet splash console=ttyS0,115200
	initrd	/casper/initrd
}
menuentry "Ubuntu (safe graphics)" {
	set gfxpayload=keep
	linux	/casper/vmlinuz  nomodeset  --- quiet splash
	initrd	/casper/initrd
}
grub_platform
if [ "$grub_platform" = "efi" ]; then
menuentry 'Boot from next volume' {
	exit 1
}
fi
EOF
	label=Ubuntu-24.04.1-amd64
	;;
archiso)
	put_kernel "$T/arch/boot/x86_64/vmlinuz-linux"
	filler "$T/arch/boot/x86_64/initramfs-linux.img" 4096
	filler "$T/arch/boot/intel-ucode.img" 2048
	filler "$T/arch/boot/amd-ucode.img" 2048
	filler "$T/arch/x86_64/airootfs.sfs" 1048576
	filler "$T/arch/x86_64/airootfs.sha512" 128
	mkdir -p "$T/boot/syslinux"
	# As archiso's releng profile: syslinux.cfg hands over to whichsys.c32 (no Linux entry of
	# its own); GRUB's menu has the entries, "default=archlinux" naming the second by id.
	cat >"$T/boot/syslinux/syslinux.cfg" <<'EOF'
DEFAULT select

LABEL select
COM32 whichsys.c32
APPEND -pxe- pxe -sys- sys -iso- sys

LABEL pxe
CONFIG archiso_pxe.cfg

LABEL sys
CONFIG archiso_sys.cfg
EOF
	cat >"$T/boot/grub/grub.cfg" <<'EOF'
insmod part_gpt
insmod iso9660
if [ "${grub_platform}" == 'efi' ]; then
    archiso_platform='UEFI'
elif [ "${grub_platform}" == 'pc' ]; then
    archiso_platform='BIOS'
fi
default=archlinux
timeout=15
timeout_style=menu

menuentry "Arch Linux install medium (x86_64, ${archiso_platform}, speech)" --class arch --id 'archlinux-accessibility' {
    set gfxpayload=keep
    linux /arch/boot/x86_64/vmlinuz-linux archisobasedir=arch archisosearchuuid=2024-11-01-10-00-00-00 accessibility=on
    initrd /arch/boot/intel-ucode.img /arch/boot/amd-ucode.img /arch/boot/x86_64/initramfs-linux.img
}

menuentry "Arch Linux install medium (x86_64, ${archiso_platform})" --class arch --id 'archlinux' {
    set gfxpayload=keep
    linux /arch/boot/x86_64/vmlinuz-linux archisobasedir=arch archisosearchuuid=2024-11-01-10-00-00-00 console=ttyS0,115200
    initrd /arch/boot/intel-ucode.img /arch/boot/amd-ucode.img /arch/boot/x86_64/initramfs-linux.img
}
EOF
	label=ARCH_202411
	;;
anaconda)
	# As Fedora 41 Server's DVD: GRUB's default is the media check, stage 2 in images/, a
	# package repository at the top.
	put_kernel "$T/images/pxeboot/vmlinuz"
	filler "$T/images/pxeboot/initrd.img" 4096
	filler "$T/images/install.img" 1048576
	mkdir -p "$T/repodata" "$T/Packages/b" "$T/EFI/BOOT"
	printf '<?xml version="1.0"?>\n<repomd/>\n' >"$T/repodata/repomd.xml"
	filler "$T/Packages/b/bash-5.2.26-4.fc41.x86_64.rpm" 8192
	printf '[general]\nfamily = Fedora\nversion = 41\n' >"$T/.treeinfo"
	cat >"$T/EFI/BOOT/grub.cfg" <<'EOF'
set default="1"

function load_video {
  insmod all_video
}

load_video
set gfxpayload=keep
insmod gzio
insmod part_gpt
insmod ext2
insmod chain

set timeout=60
search --no-floppy --set=root -l 'Fedora-S-dvd-x86_64-41'

menuentry 'Install Fedora 41' --class fedora --class gnu-linux --class gnu --class os {
	linux /images/pxeboot/vmlinuz inst.stage2=hd:LABEL=Fedora-S-dvd-x86_64-41 quiet console=ttyS0,115200
	initrd /images/pxeboot/initrd.img
}
menuentry 'Test this media & install Fedora 41' --class fedora --class gnu-linux --class gnu --class os {
	linux /images/pxeboot/vmlinuz inst.stage2=hd:LABEL=Fedora-S-dvd-x86_64-41 rd.live.check quiet console=ttyS0,115200
	initrd /images/pxeboot/initrd.img
}
EOF
	label=Fedora-S-dvd-x86_64-41
	;;
debian-installer)
	# As Debian 12's netinst: ISOLINUX's menu with the graphical installer as its default
	# (gtk.cfg, included through menu.cfg), GRUB's, install.amd/ with the CD flavour's
	# initrds, and the installer's medium: .disk/, dists/ (a "stable" link), pool/ with udebs
	# and debs, firmware/. Odd sizes and an empty file for the cpio archive's padding.
	put_kernel "$T/install.amd/vmlinuz"
	filler "$T/install.amd/initrd.gz" 4096
	filler "$T/install.amd/gtk/initrd.gz" 6144
	filler "$T/install.amd/xen/initrd.gz" 4096
	mkdir -p "$T/.disk" "$T/isolinux" "$T/dists/bookworm/main/binary-amd64" \
		"$T/dists/bookworm/main/debian-installer/binary-amd64" "$T/pool/main/e/empty"
	printf 'Debian GNU/Linux 12.8.0 "Bookworm" - Official amd64 NETINST with firmware 20241109-11:04' \
		>"$T/.disk/info"
	printf 'main\n' >"$T/.disk/base_components"
	: >"$T/.disk/base_installable"
	printf 'not_complete\n' >"$T/.disk/cd_type"
	printf 'Origin: Debian\nLabel: Debian\nSuite: stable\nCodename: bookworm\nComponents: main\n' \
		>"$T/dists/bookworm/Release"
	ln -s bookworm "$T/dists/stable"
	ln -s . "$T/debian"
	filler "$T/dists/bookworm/main/binary-amd64/Packages.gz" 3001
	filler "$T/dists/bookworm/main/debian-installer/binary-amd64/Packages.gz" 2050
	filler "$T/pool/main/a/anna/anna_1.87_amd64.udeb" 30001
	filler "$T/pool/main/c/cdrom-detect/cdrom-detect_1.106_all.udeb" 7
	filler "$T/pool/main/b/base-files/base-files_12.4+deb12u8_amd64.deb" 70002
	: >"$T/pool/main/e/empty/zero-length_1.0_all.udeb"
	filler "$T/firmware/firmware-misc-nonfree_20230625-2_all.deb" 1048577
	filler "$T/isolinux/vesamenu.c32" 2048
	printf 'path \ninclude menu.cfg\ndefault vesamenu.c32\nprompt 0\ntimeout 0\n' \
		>"$T/isolinux/isolinux.cfg"
	printf 'menu hshift 4\nmenu width 70\n\nmenu title Debian GNU/Linux installer menu (BIOS mode)\ninclude gtk.cfg\ninclude txt.cfg\n' \
		>"$T/isolinux/menu.cfg"
	cat >"$T/isolinux/gtk.cfg" <<'EOF'
default installgui
label installgui
	menu label ^Graphical install
	menu default
	kernel /install.amd/vmlinuz
	append vga=788 initrd=/install.amd/gtk/initrd.gz --- quiet console=ttyS0,115200
EOF
	cat >"$T/isolinux/txt.cfg" <<'EOF'
label install
	menu label ^Install
	kernel /install.amd/vmlinuz
	append vga=788 initrd=/install.amd/initrd.gz --- quiet console=ttyS0,115200
EOF
	cat >"$T/boot/grub/grub.cfg" <<'EOF'
if loadfont $prefix/font.pf2 ; then
  set gfxmode=800x600
  insmod gfxterm
  terminal_output gfxterm
fi
menuentry --hotkey=g 'Graphical install' {
    set background_color=black
    linux    /install.amd/vmlinuz vga=788 --- quiet console=ttyS0,115200
    initrd   /install.amd/gtk/initrd.gz
}
menuentry --hotkey=i 'Install' {
    set background_color=black
    linux    /install.amd/vmlinuz vga=788 --- quiet console=ttyS0,115200
    initrd   /install.amd/initrd.gz
}
EOF
	label='Debian 12.8.0 amd64 n'
	;;
alpine)
	# As Alpine 3.20's standard ISO: syslinux and GRUB menus, the lts kernel, its modloop and
	# the apks/ repository.
	put_kernel "$T/boot/vmlinuz-lts"
	filler "$T/boot/initramfs-lts" 4096
	filler "$T/boot/modloop-lts" 1048576
	mkdir -p "$T/apks/x86_64" "$T/boot/syslinux"
	filler "$T/apks/x86_64/APKINDEX.tar.gz" 2048
	filler "$T/apks/x86_64/busybox-1.36.1-r29.apk" 4096
	printf '3.20.3\n' >"$T/.alpine-release"
	cat >"$T/boot/syslinux/syslinux.cfg" <<'EOF'
SERIAL 0 115200
TIMEOUT 10
PROMPT 1
DEFAULT lts

LABEL lts
MENU LABEL Linux lts
KERNEL /boot/vmlinuz-lts
INITRD /boot/initramfs-lts
FDTDIR /boot/dtbs-lts
APPEND modules=loop,squashfs,sd-mod,usb-storage quiet console=tty0 console=ttyS0,115200
EOF
	cat >"$T/boot/grub/grub.cfg" <<'EOF'
set timeout=1

menuentry "Linux lts" {
linux	/boot/vmlinuz-lts modules=loop,squashfs,sd-mod,usb-storage quiet console=tty0 console=ttyS0,115200
initrd	/boot/initramfs-lts
}
EOF
	label=alpine-std-3.20.3-x86_64
	;;
kiwi)
	# As openSUSE Tumbleweed's live ISOs (kiwi): GRUB's commands in variables, paths on
	# ($root), the dracut LiveOS image.
	put_kernel "$T/boot/x86_64/loader/linux"
	filler "$T/boot/x86_64/loader/initrd" 4096
	filler "$T/LiveOS/squashfs.img" 1048576
	cat >"$T/boot/grub/grub.cfg" <<'EOF'
set btrfs_relative_path="yes"
search --file --set=root /boot/0xd8ab7dae
set default=0
set timeout=10
set linux=linux
set initrd=initrd
if [ "${grub_cpu}" = "x86_64" -o "${grub_cpu}" = "i386" ];then
    if [ "${grub_platform}" = "efi" ]; then
        set linux=linuxefi
        set initrd=initrdefi
    fi
fi
export linux initrd
menuentry "openSUSE-Tumbleweed-KDE-Live" --class opensuse --class os {
    set gfxpayload=keep
    echo Loading kernel...
    $linux ($root)/boot/x86_64/loader/linux ${extra_cmdline} splash=silent root=live:CDLABEL=openSUSE_Tumbleweed_KDE_Live rd.live.image rd.live.overlay.persistent rd.live.overlay.cowfs=ext4 quiet systemd.show_status=yes console=ttyS0,115200
    echo Loading initrd...
    $initrd ($root)/boot/x86_64/loader/initrd
}
EOF
	label=openSUSE_Tumbleweed_KDE_Live
	;;
gentoo)
	# As Gentoo's minimal install CD: a family isoboot has no recipe for (its initrd finds
	# the medium's image.squashfs itself), so it keeps its own boot loader.
	put_kernel "$T/boot/gentoo"
	filler "$T/boot/gentoo.igz" 4096
	filler "$T/image.squashfs" 1048576
	cat >"$T/boot/grub/grub.cfg" <<'EOF'
set default=0
set timeout=5
menuentry 'Boot LiveCD (kernel: gentoo)' --class gnu-linux --class os {
	linux /boot/gentoo root=/dev/ram0 init=/linuxrc dokeymap looptype=squashfs loop=/image.squashfs cdroot console=ttyS0,115200
	initrd /boot/gentoo.igz
}
EOF
	label=ISOIMAGE
	;;
*)
	echo "mk-layout-iso.sh: unknown family $family" >&2
	exit 2
	;;
esac
xorriso -as mkisofs -R -J -V "$label" -o "$out" \
	-b boot/grub/i386-pc/eltorito.img -no-emul-boot -boot-load-size 4 \
	-eltorito-alt-boot -e EFI/boot/efiboot.img -no-emul-boot "$T" >"$W/xorriso.log" 2>&1 ||
	{
		cat "$W/xorriso.log" >&2
		exit 1
	}
