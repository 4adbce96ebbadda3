#!/bin/bash
# The families that cannot be built on Debian, from ISOs with their layout and boot configuration
# (tests/tools/mk-layout-iso.sh): casper (Ubuntu 24.04's GRUB menu without boot=casper, layered
# squashfs images), archiso (syslinux handing over to whichsys.c32, GRUB's menu with
# "default=archlinux"), anaconda (Fedora's Server DVD, its media check the default), Alpine
# (modloop and apks/), openSUSE's kiwi live ISOs (GRUB commands in variables; dracut), and
# Gentoo's minimal CD, a family with no recipe; and Debian 12's netinst, whose installer gets its
# medium from the menu as one more initrd (a cpio archive in a gzip stream, which GNU gzip and
# cpio unpack here). Through the real isoboot-scan and isoboot-menu: the recipe in the catalog,
# and the menu's script line by line, with every URL it names fetched back from isoboot-menu.
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
need_cmd systemd-socket-activate curl ss xorriso cpio gzip

mkdir -p "$TMP/iso/linux" "$TMP/state"
bash "$SRC/tests/tools/mk-layout-iso.sh" casper "$TMP/iso/linux/ubuntu-24.04.1-desktop-amd64.iso" ||
	{ fail "mk-layout-iso.sh casper"; finish; }
bash "$SRC/tests/tools/mk-layout-iso.sh" archiso "$TMP/iso/linux/archlinux-2024.11.01-x86_64.iso" ||
	{ fail "mk-layout-iso.sh archiso"; finish; }
bash "$SRC/tests/tools/mk-layout-iso.sh" anaconda "$TMP/iso/linux/Fedora-Server-dvd-x86_64-41.iso" ||
	{ fail "mk-layout-iso.sh anaconda"; finish; }
bash "$SRC/tests/tools/mk-layout-iso.sh" alpine "$TMP/iso/linux/alpine-standard-3.20.3-x86_64.iso" ||
	{ fail "mk-layout-iso.sh alpine"; finish; }
bash "$SRC/tests/tools/mk-layout-iso.sh" kiwi "$TMP/iso/linux/openSUSE-Tumbleweed-KDE-Live-x86_64.iso" ||
	{ fail "mk-layout-iso.sh kiwi"; finish; }
bash "$SRC/tests/tools/mk-layout-iso.sh" debian-installer "$TMP/iso/linux/debian-12.8.0-amd64-netinst.iso" ||
	{ fail "mk-layout-iso.sh debian-installer"; finish; }
bash "$SRC/tests/tools/mk-layout-iso.sh" gentoo "$TMP/iso/linux/install-amd64-minimal-20241124.iso" ||
	{ fail "mk-layout-iso.sh gentoo"; finish; }
guard_isos "$TMP/iso"
write_config "$TMP/c.conf" "$TMP/iso" "$TMP/state"
"$SCAN" --config "$TMP/c.conf" >"$TMP/scan.log" 2>&1
CAT=$TMP/state/catalog
UBU=$(catalog_id_of "$CAT" linux/ubuntu-24.04.1-desktop-amd64.iso)
ARCH=$(catalog_id_of "$CAT" linux/archlinux-2024.11.01-x86_64.iso)
FED=$(catalog_id_of "$CAT" linux/Fedora-Server-dvd-x86_64-41.iso)
ALP=$(catalog_id_of "$CAT" linux/alpine-standard-3.20.3-x86_64.iso)
SUSE=$(catalog_id_of "$CAT" linux/openSUSE-Tumbleweed-KDE-Live-x86_64.iso)
GEN=$(catalog_id_of "$CAT" linux/install-amd64-minimal-20241124.iso)
DEB=$(catalog_id_of "$CAT" linux/debian-12.8.0-amd64-netinst.iso)
check "the seven ISOs are catalogued" test -n "$UBU" -a -n "$ARCH" -a -n "$FED" -a -n "$ALP" -a -n "$SUSE" -a -n "$GEN" -a -n "$DEB"
# entry ID KEY: every value of KEY in the entry, one a line
entry() { awk -v id="$1" -v k="$2" '$1 == "iso" { cur = $2 } cur == id && $1 == k { sub(/^[^ ]+ /, ""); print }' "$CAT"; }
check "Ubuntu: the casper recipe (its GRUB entry has no boot=casper)" test "$(entry "$UBU" recipe)" = casper
check "Ubuntu: kernel and initrd from casper/" \
	test "$(entry "$UBU" kernel) $(entry "$UBU" initrd)" = "casper/vmlinuz casper/initrd"
check "Ubuntu: iso-scan/filename= dropped, the whole ISO over HTTP added" \
	test "$(entry "$UBU" append)" = "--- quiet splash console=ttyS0,115200 netboot=url url={iso} ip=dhcp"
usize=$(stat -c %s "$TMP/iso/linux/ubuntu-24.04.1-desktop-amd64.iso")
check "Ubuntu: RAM for 1 GiB, the whole ISO, the kernel and twice the initrd" \
	test "$(entry "$UBU" ram)" = $((1024 * 1048576 + usize + 16384 + 2 * 4096))
check "Ubuntu: the name from its .disk/info, without the build stamp" \
	test "$(entry "$UBU" name)" = 'Ubuntu 24.04.1 LTS "Noble Numbat" - Release amd64'
check "Arch: no name of its own, its file name" test "$(entry "$ARCH" name)" = archlinux-2024.11.01-x86_64
check "Arch: the archiso recipe (GRUB's default=archlinux)" test "$(entry "$ARCH" recipe)" = archiso
check "Arch: three initrds in their order" test "$(entry "$ARCH" initrd | tr '\n' ' ')" = \
	"arch/boot/intel-ucode.img arch/boot/amd-ucode.img arch/boot/x86_64/initramfs-linux.img "
check "Arch: archisosearchuuid= dropped, the ISO's tree over HTTP added" \
	test "$(entry "$ARCH" append)" = "archisobasedir=arch console=ttyS0,115200 archiso_http_srv={files}/ ip=dhcp"
check "Arch: the root image is fetched from inside the ISO" \
	test "$(entry "$ARCH" fetch | tail -n1)" = "1048576 arch/x86_64/airootfs.sfs"

check "Fedora DVD: the anaconda recipe" test "$(entry "$FED" recipe)" = anaconda
check "Fedora DVD: the media check and the local stage 2 dropped, the ISO's tree as the repository" \
	test "$(entry "$FED" append)" = "quiet console=ttyS0,115200 inst.repo={files} ip=dhcp"
check "Fedora DVD: stage 2 fetched from inside the ISO" \
	test "$(entry "$FED" fetch | tail -n1)" = "1048576 images/install.img"
check "Alpine: the alpine recipe" test "$(entry "$ALP" recipe)" = alpine
check "Alpine: the lts kernel's modloop and the ISO's repository" \
	test "$(entry "$ALP" append)" = "modules=loop,squashfs,sd-mod,usb-storage quiet console=tty0 console=ttyS0,115200 modloop={files}/boot/modloop-lts alpine_repo={files}/apks ip=dhcp"
check "openSUSE (kiwi): the dracut recipe, its LiveOS image over HTTP" \
	test "$(entry "$SUSE" recipe) $(entry "$SUSE" append)" = "dracut splash=silent rd.live.image rd.live.overlay.persistent rd.live.overlay.cowfs=ext4 quiet systemd.show_status=yes console=ttyS0,115200 root=live:{files}/LiveOS/squashfs.img ip=dhcp"
check "openSUSE (kiwi): kernel and initrd on (\$root) as paths of the ISO" \
	test "$(entry "$SUSE" kernel) $(entry "$SUSE" initrd)" = "boot/x86_64/loader/linux boot/x86_64/loader/initrd"
check "Gentoo: no recipe, marked as a Linux of no known family" \
	test "$(entry "$GEN" recipe)/$(entry "$GEN" unrecognised)" = /yes
check "Gentoo: the scan says so when it is added" grep -qF \
	"Added linux/install-amd64-minimal-20241124.iso as $GEN (label 'ISOIMAGE', $(stat -c %s "$TMP/iso/linux/install-amd64-minimal-20241124.iso") bytes); its Linux is of no family isoboot knows" "$TMP/scan.log"
check "Debian installer: the debian-installer recipe, by its name in .disk/info" \
	test "$(entry "$DEB" recipe) / $(entry "$DEB" name)" = 'debian-installer / Debian GNU/Linux 12.8.0 "Bookworm" - Official amd64 NETINST with firmware'
check "Debian installer: the graphical installer, ISOLINUX's default through menu.cfg and gtk.cfg" \
	test "$(entry "$DEB" kernel) $(entry "$DEB" initrd)" = "install.amd/vmlinuz install.amd/gtk/initrd.gz"
check "Debian installer: its own parameters, nothing added" \
	test "$(entry "$DEB" append)" = "vga=788 --- quiet console=ttyS0,115200"
check "Debian installer: the medium's folders that the ISO has" \
	test "$(entry "$DEB" medium | tr '\n' ' ')" = ".disk dists pool firmware "
check "Gentoo: the others have no such mark" test "$(grep -c '^unrecognised' "$CAT")" = 1

PORT=$(free_port 48800)
menu_start "$TMP/c.conf" "$PORT" "$TMP/menu.log" || { cat "$TMP/menu.log"; fail "isoboot-menu does not listen"; finish; }
B=http://127.0.0.1:$PORT
curl -s --max-time 30 -o "$TMP/menu.ipxe" "$B/boot.ipxe?memsize=8192"
code() { curl -s --max-time 30 -o /dev/null -w '%{http_code}' "$1"; }
# shellcheck disable=SC2317  # called by check
has() { grep -qxF -- "$1" "$TMP/menu.ipxe"; }
for fw in bios efi; do
	check "$fw: Ubuntu's kernel line" has "kernel $B/iso/$UBU/files/casper/vmlinuz initrd=initrd --- quiet splash console=ttyS0,115200 netboot=url url=$B/iso/$UBU/ubuntu-24.04.1-desktop-amd64.iso ip=dhcp || goto failed"
	check "$fw: Arch's kernel line" has "kernel $B/iso/$ARCH/files/arch/boot/x86_64/vmlinuz-linux initrd=intel-ucode.img initrd=amd-ucode.img initrd=initramfs-linux.img archisobasedir=arch console=ttyS0,115200 archiso_http_srv=$B/iso/$ARCH/files/ ip=dhcp || goto failed"
	check "$fw: Ubuntu first as its recipe, by the name in its .disk/info" \
		has "item -- $fw-$UBU Ubuntu 24.04.1 LTS \"Noble Numbat\" - Release amd64"
	check "$fw: Fedora by the name in its .treeinfo" has "item -- $fw-$FED Fedora 41"
	check "$fw: Fedora's kernel line" has "kernel $B/iso/$FED/files/images/pxeboot/vmlinuz initrd=initrd.img quiet console=ttyS0,115200 inst.repo=$B/iso/$FED/files ip=dhcp || goto failed"
	check "$fw: Gentoo's own boot loader, saying its family is not recognised" \
		has "item -- $fw-$GEN install-amd64-minimal-20241124 (family not recognised: boot from SAN)"
done
check "Debian installer: kernel line with both initrds named" has "kernel $B/iso/$DEB/files/install.amd/vmlinuz initrd=initrd.gz initrd=isoboot-medium.cpio vga=788 --- quiet console=ttyS0,115200 || goto failed"
check "Debian installer: the medium after the ISO's initrd" bash -c "grep -A2 '^kernel $B/iso/$DEB/' '$TMP/menu.ipxe' | tail -2 | tr '\n' ' ' | grep -qxF 'initrd $B/iso/$DEB/files/install.amd/gtk/initrd.gz || goto failed initrd $B/iso/$DEB/medium/isoboot-medium.cpio || goto failed '"
check "Arch's initrds in their order" bash -c "grep -A3 '^kernel $B/iso/$ARCH/' '$TMP/menu.ipxe' | head -4 | tail -3 | sed 's/ || goto failed//; s|.*/||' | tr '\n' ' ' | grep -qx 'intel-ucode.img amd-ucode.img initramfs-linux.img '"
# What the clients' initrds would fetch, from the menu: the whole Ubuntu ISO, and Arch's
# ${archiso_http_srv}${archisobasedir}/x86_64/airootfs.sfs.
check "the Ubuntu ISO by its url= is the file, whole" \
	cmp -s <(curl -s --max-time 60 "$B/iso/$UBU/ubuntu-24.04.1-desktop-amd64.iso") "$TMP/iso/linux/ubuntu-24.04.1-desktop-amd64.iso"
check "Arch's airootfs.sfs by archiso_http_srv= and archisobasedir=" \
	test "$(curl -s --max-time 60 "$B/iso/$ARCH/files/arch/x86_64/airootfs.sfs" | wc -c)" = 1048576
# What Alpine's initramfs fetches: the modloop, and the repository's index by alpine_repo=.
check "Alpine's modloop from inside the ISO" test "$(code "$B/iso/$ALP/files/boot/modloop-lts")" = 200
check "Alpine's APKINDEX under alpine_repo=" test "$(code "$B/iso/$ALP/files/apks/x86_64/APKINDEX.tar.gz")" = 200
# What anaconda reads from inst.repo=: .treeinfo, stage 2, the repository's metadata, a package.
for f in .treeinfo images/install.img repodata/repomd.xml Packages/b/bash-5.2.26-4.fc41.x86_64.rpm; do
	check "anaconda's $f from the repository URL" test "$(code "$B/iso/$FED/files/$f")" = 200
done
# The installer's medium: GNU gzip checks its CRC and length, GNU cpio unpacks exactly the ISO's
# .disk/, dists/, pool/ and firmware/ (its links left out), and the hook, executable; nothing
# else of the ISO.
mkdir -p "$TMP/medium" "$TMP/ref"
curl -s --max-time 60 -o "$TMP/medium.cpio" -D "$TMP/medium.hdr" "$B/iso/$DEB/medium/isoboot-medium.cpio"
check "Debian installer: the medium is served with its length" \
	grep -qix "content-length: $(stat -c %s "$TMP/medium.cpio")"$'\r' "$TMP/medium.hdr"
check "Debian installer: GNU gzip takes the medium for whole and sound" gzip -t "$TMP/medium.cpio"
gzip -dc "$TMP/medium.cpio" >"$TMP/medium.raw"
(cd "$TMP/medium" && cpio -id --quiet --no-absolute-filenames <"$TMP/medium.raw") 2>"$TMP/cpio.err"
check "Debian installer: GNU cpio reads the medium without a complaint" test ! -s "$TMP/cpio.err"
xorriso -osirrox on -indev "$TMP/iso/linux/debian-12.8.0-amd64-netinst.iso" -extract / "$TMP/ref" >/dev/null 2>&1
find "$TMP/ref" -type l -delete
check "Debian installer: the medium holds the ISO's four folders, byte for byte" bash -c \
	"for d in .disk dists pool firmware; do diff -r '$TMP/ref/'\$d '$TMP/medium/cdrom/'\$d || exit 1; done"
check "Debian installer: and nothing else but the hook" test \
	"$(cd "$TMP/medium" && find . -mindepth 2 -maxdepth 2 | sort | tr '\n' ' ')" = \
	"./cdrom/.disk ./cdrom/dists ./cdrom/firmware ./cdrom/pool ./lib/debian-installer-startup.d "
check "Debian installer: the hook is an executable shell script" bash -c \
	"test -x '$TMP/medium/lib/debian-installer-startup.d/S31isoboot-medium' && sh -n '$TMP/medium/lib/debian-installer-startup.d/S31isoboot-medium'"
check "Debian installer: a range of the medium is that part of it" cmp -s \
	<(curl -s --max-time 60 -r 1000-99999 "$B/iso/$DEB/medium/isoboot-medium.cpio") \
	<(tail -c +1001 "$TMP/medium.cpio" | head -c 99000)
check "Debian installer: no medium for an ISO without one" \
	test "$(code "$B/iso/$UBU/medium/isoboot-medium.cpio")" = 404
check "Debian installer: the RAM said counts the medium twice" \
	test "$(entry "$DEB" ram)" = $((512 * 1048576 + 16384 + 2 * 6144 + 2 * $(stat -c %s "$TMP/medium.cpio")))
check "a client with 1 GiB of RAM is told Ubuntu needs more" bash -c \
	"curl -s --max-time 30 '$B/boot.ipxe?memsize=1024' | grep -q '^item --gap -- Ubuntu 24.04.1 LTS \"Noble Numbat\" - Release amd64: needs 1.1 GiB of RAM, this machine has 1 GiB'"
check "isoboot-menu is still running" kill -0 "$MENU_PID"
finish
