#!/bin/bash
# Builds a small Debian 13 (trixie) installer test ISO in the layout of a Debian netinst CD, from
# Debian's own packages, and caches it outside the checkout, so every clone reuses it:
#   ${ISOBOOT_LIVE_CACHE:-/var/cache/isoboot-tests}/live/debian-installer.iso
# isoboot's tests boot it the way isoboot's menu boots an installer ISO: the ISO's kernel and
# initrd plus a second initrd that holds the ISO's files under /cdrom; the installer must then
# load its components from that /cdrom as from a CD. What the ISO holds:
#   install.amd/vmlinuz, install.amd/initrd.gz
#       the installer's CD flavour, made from trixie's netboot one (debian-installer-13-netboot-
#       amd64): net-retriever, download-installer and choose-mirror taken out, cdrom-detect,
#       cdrom-retriever and load-cdrom put in, the way debian-installer's build installs udebs
#       (files unpacked; control data in var/lib/dpkg/status and var/lib/dpkg/info/). When the
#       archive has no udebs for the netboot kernel (a mirror whose udebs lag behind), the
#       kernel and its module udebs are swapped for the newest kernel whose udebs it does have:
#       vmlinuz then comes from that kernel-image-*-di udeb, as in debian-installer's build.
#   pool/, dists/trixie/main/debian-installer/binary-amd64/Packages{,.gz}, dists/trixie/Release
#       an apt-style udeb repository as on a netinst: trixie's amd64 udebs (those for another
#       kernel left out), each at its Filename, its SHA256 checked against the Packages file;
#       dists/stable -> trixie and debian -> . as debian-cd makes them. No base system (.debs)
#       and no .disk/base_installable: the installer asks for a network mirror later.
#   .disk/info, isolinux/ (BIOS El Torito, ISOLINUX) and boot/grub/grub.cfg with the menu entry
#       "Install" as a Debian netinst writes them; for UEFI, as on a netinst, EFI/boot/bootx64.efi
#       and an El Torito image boot/grub/efi.img holding it: here a GRUB made with grub-mkimage
#       that finds the ISO by its label and reads boot/grub/grub.cfg (a netinst has Debian's
#       shim and signed GRUB there).
# The udebs are kept in live/installer-udebs/ (and the netboot package in live/installer-apt/), so
# that a rebuild does not download them again. The apt state is its own (tests/lib/apt-mirror.sh).
# The ISO is rebuilt only when this script changed (the stamp, line 1 of its .stamp file, is the
# script's sha256; line 2 the build's seconds) or the ISO is missing; it is built under a
# temporary name and renamed into place when complete. An edit that cannot change the ISO adds
# the stamp before it to SAME_ISOS. Needs root (the initrd's files are root's); installs its own
# build dependencies with apt-get when they are missing. Noisy output goes to
# live/build-installer.log. Prints one line at the end.
#
# Usage: tests/build-installer-iso.sh
# Environment:
#   ISOBOOT_LIVE_CACHE   cache root (default /var/cache/isoboot-tests); the ISO goes to its live/
#   ISOBOOT_MIRROR       Debian mirror (default: the first bookworm main source of the apt
#                        configuration, else http://deb.debian.org/debian)
#   ISOBOOT_LIVE_FORCE   1: rebuild even when up to date
set -euo pipefail
SCRIPT=$(readlink -f "${BASH_SOURCE[0]}")
OUT=${ISOBOOT_LIVE_CACHE:-/var/cache/isoboot-tests}/live
NAME=debian-installer.iso
LOG=$OUT/build-installer.log
UDEBS=$OUT/installer-udebs
APTDIR=$OUT/installer-apt
DIST=trixie
ARCH=amd64
VOLID=ISOBOOT_DI
NETBOOT=debian-installer-13-netboot-amd64
NETBOOT_DIR=usr/lib/debian-installer/images/13/amd64/text/debian-installer/amd64
DISK_INFO='Debian GNU/Linux 13 "Trixie" - isoboot test amd64 NETINST'
# The netboot flavour's retriever and the CD flavour's (debian-installer's pkg-lists).
REMOVE_UDEBS=(net-retriever download-installer choose-mirror)
ADD_UDEBS=(cdrom-detect cdrom-retriever load-cdrom)
STAMP=$(sha256sum "$SCRIPT" | cut -d' ' -f1)
# Stamps of earlier versions of this script that build the same ISO as this one.
SAME_ISOS=()
# Host packages this script runs.
DEPS=(xorriso isolinux syslinux-common cpio apt-utils xz-utils gzip curl kmod grub-efi-amd64-bin
	grub-common mtools dosfstools)

die() { echo "build-installer-iso: $*" >&2; exit 1; }

up_to_date() {
	local have s
	[ "${ISOBOOT_LIVE_FORCE:-0}" != 1 ] && [ -s "$OUT/$NAME" ] && [ -f "$OUT/$NAME.stamp" ] || return 1
	have=$(head -n 1 "$OUT/$NAME.stamp")
	for s in "$STAMP" "${SAME_ISOS[@]}"; do [ "$have" = "$s" ] && return 0; done
	return 1
}

BUILT=0
# summary: one line with the ISO's size and how long its build took.
summary() {
	local secs how=cached
	secs=$(sed -n 2p "$OUT/$NAME.stamp" 2>/dev/null || true)
	[ "$BUILT" = 1 ] && how=built
	printf '%-20s %4d MiB  %s, build took %s s  (%s)\n' "$NAME" \
		"$(($(stat -c %s "$OUT/$NAME") / 1048576))" "$how" "${secs:-?}" "$OUT/$NAME"
}

if up_to_date; then summary; exit 0; fi
[ "$(id -u)" = 0 ] || die "building $NAME needs root (the installer's initrd holds root's files)"
mkdir -p "$OUT"
# Its own lock: it does not wait for tests/build-live-isos.sh.
exec 9>"$OUT/.installer.lock"
flock -w 3600 9 || die "another build still holds $OUT/.installer.lock"
# Another run may have built it while this one waited for the lock.
if up_to_date; then summary; exit 0; fi
T0=$SECONDS

echo "=== build-installer-iso $(date -Is)" >"$LOG"
missing=()
for p in "${DEPS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "build-installer-iso: installing ${missing[*]}"
	install_deps() {
		timeout 1800 env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
			"${missing[@]}" >>"$LOG" 2>&1
	}
	# The package lists are usually there; only when they do not do is apt-get update run.
	if ! install_deps; then
		timeout 600 apt-get update -q >>"$LOG" 2>&1 || die "apt-get update failed (see $LOG)"
		install_deps || die "apt-get install ${missing[*]} failed (see $LOG)"
	fi
fi

# shellcheck source-path=SCRIPTDIR source=lib/apt-mirror.sh
. "$(dirname "$SCRIPT")/lib/apt-mirror.sh"
MIRROR=${ISOBOOT_MIRROR:-$(apt_mirror || true)}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
MIRROR=${MIRROR%/}
echo "=== mirror $MIRROR" >>"$LOG"

# The work directory lives next to the result (same file system: the final mv is a rename).
W=$(mktemp -d "$OUT/.installer-work-XXXXXX")
TMP_ISO=$OUT/.$NAME.building
cleanup() {
	rm -rf --one-file-system "$W"
	rm -f "$TMP_ISO"
}
trap 'exit 130' INT TERM
trap cleanup EXIT

# run SECONDS COMMAND...: runs COMMAND with its output in the log, bounded by a timeout.
run() {
	local secs=$1
	shift
	printf '+ [%d s] %s\n' "$SECONDS" "$*" >>"$LOG"
	timeout -k 30 "$secs" "$@" </dev/null >>"$LOG" 2>&1 && return 0
	echo "build-installer-iso: failed (or over its ${secs} s limit): $*" >&2
	tail -n 30 "$LOG" >&2
	exit 1
}
note() { echo "$*" >>"$LOG"; }

# --- The netboot installer: trixie's debian-installer-13-netboot-amd64 (arch all), with an apt
# state of its own; the package stays in APTDIR/debs for the next build.
echo "build-installer-iso: building $NAME (log: $LOG)"
apt_own_state build-installer-iso "$APTDIR" "$ARCH" "$DIST"
nb_deb=$(apt-cache "${APT_OPTS[@]}" show "$NETBOOT" 2>>"$LOG" | sed -n 's/^Filename: .*\///p' | head -n 1)
[ -n "$nb_deb" ] || die "no $NETBOOT in $DIST (see $APTDIR/update.log)"
find "$APTDIR/debs" -name "${NETBOOT}_*.deb" ! -name "$nb_deb" -delete
run 900 env -C "$APTDIR/debs" apt-get "${APT_OPTS[@]}" download "$NETBOOT"
[ -s "$APTDIR/debs/$nb_deb" ] || die "apt-get download $NETBOOT made no $nb_deb"
NB=$W/netboot
mkdir -p "$NB"
dpkg-deb --fsys-tarfile "$APTDIR/debs/$nb_deb" |
	tar -x -C "$NB" --strip-components=10 "./$NETBOOT_DIR/linux" "./$NETBOOT_DIR/initrd.gz" ||
	die "$nb_deb lacks $NETBOOT_DIR/{linux,initrd.gz}"
TREE=$W/initrd
mkdir -p "$TREE"
(cd "$TREE" && zcat "$NB/initrd.gz" | cpio -idm --quiet --no-absolute-filenames) ||
	die "cannot unpack the netboot initrd"
STATUS=$TREE/var/lib/dpkg/status
INFO=$TREE/var/lib/dpkg/info
[ -s "$STATUS" ] || die "the netboot initrd has no var/lib/dpkg/status"
mapfile -t kdirs < <(find "$TREE/lib/modules/" -mindepth 1 -maxdepth 1 -type d -printf '%f\n')
[ ${#kdirs[@]} = 1 ] || die "the netboot initrd has ${#kdirs[@]} kernels in lib/modules/"
K_NETBOOT=${kdirs[0]}
note "netboot: $nb_deb, kernel $K_NETBOOT"

# --- The archive's udebs: trixie main/debian-installer, binary-amd64. Each Packages stanza as
# Package, Kernel-Version (- when it has none), Filename and SHA256.
run 300 curl -fsS --retry 3 -o "$W/Packages.xz" \
	"$MIRROR/dists/$DIST/main/debian-installer/binary-$ARCH/Packages.xz"
xz -dc "$W/Packages.xz" >"$W/Packages.all"
# Whether the Release that apt checked lists this Packages.xz (a mirror can serve an older one).
xz_sum=$(sha256sum "$W/Packages.xz" | cut -d' ' -f1)
if grep -q " $xz_sum .* main/debian-installer/binary-$ARCH/Packages.xz\$" "$APTDIR"/lists/*_dists_"${DIST}"_InRelease; then
	note "udeb Packages.xz: as in the $DIST Release"
else
	note "udeb Packages.xz: $xz_sum is not the one the $DIST Release lists (the mirror's lags)"
fi
declare -A FN=() SUM=() KV=()
while IFS=$'\t' read -r p kv fn sum; do
	FN[$p]=$fn
	SUM[$p]=$sum
	KV[$p]=$kv
done < <(awk -v RS= -F '\n' '{
	delete v
	for (i = 1; i <= NF; i++) {
		if ($i ~ /^[ \t]/ || !index($i, ":")) continue
		k = substr($i, 1, index($i, ":") - 1); s = substr($i, index($i, ":") + 1); sub(/^[ \t]+/, "", s)
		v[k] = s
	}
	if (v["Package"] == "" || v["Filename"] == "" || v["SHA256"] == "") next
	printf "%s\t%s\t%s\t%s\n", v["Package"], (v["Kernel-Version"] == "" ? "-" : v["Kernel-Version"]), v["Filename"], v["SHA256"]
}' "$W/Packages.all")
[ ${#FN[@]} -gt 100 ] || die "the udeb Packages file lists only ${#FN[@]} udebs"
note "udeb Packages: ${#FN[@]} udebs"

# fetch_udebs PACKAGE...: each udeb into UDEBS (kept for the next build), its SHA256 checked
# against the Packages file; sets HAVE[PACKAGE]=1 for each that is there. A udeb the mirror does
# not have (404: its Packages file lags behind its pool) is left out; any other failure ends
# the build.
declare -A HAVE=()
fetch_udebs() {
	local p f c path cfg=$W/curl.cfg codes=$W/curl.codes
	local -a get=()
	local -A code=()
	mkdir -p "$UDEBS"
	: >"$cfg"
	for p in "$@"; do
		f=$UDEBS/${FN[$p]##*/}
		if [ -f "$f" ] && [ "$(sha256sum <"$f" | cut -d' ' -f1)" = "${SUM[$p]}" ]; then
			HAVE[$p]=1
			continue
		fi
		get+=("$p")
		printf 'url = "%s/%s"\noutput = "%s.part"\n' "$MIRROR" "${FN[$p]}" "$f" >>"$cfg"
	done
	[ ${#get[@]} -gt 0 ] || return 0
	note "downloading ${#get[@]} udebs"
	: >"$codes"
	timeout -k 30 1800 curl -sS --no-progress-meter --retry 3 --max-time 600 --parallel --parallel-max 4 \
		-w '%{http_code} %{filename_effective}\n' -K "$cfg" >"$codes" 2>>"$LOG" || true
	while read -r c path; do code[$path]=$c; done <"$codes"
	for p in "${get[@]}"; do
		f=$UDEBS/${FN[$p]##*/}
		case ${code[$f.part]:-} in
		200)
			[ "$(sha256sum <"$f.part" | cut -d' ' -f1)" = "${SUM[$p]}" ] ||
				die "${FN[$p]}: its SHA256 is not the one in the Packages file"
			mv -f "$f.part" "$f"
			HAVE[$p]=1
			;;
		404)
			rm -f "$f.part"
			note "missing on the mirror (404), left out: ${FN[$p]}"
			;;
		*)
			rm -f "$f.part"
			die "cannot download $MIRROR/${FN[$p]} (HTTP ${code[$f.part]:-?}; see $LOG)"
			;;
		esac
	done
}

# The kernel: the netboot one when the archive has its udebs, else the newest kernel whose
# kernel-image udeb and whose udebs of every module package of the initrd are all there.
mapfile -t k_pkgs < <(awk -v s="-$K_NETBOOT-di" '/^Package: / {
	p = substr($0, 10); if (length(p) > length(s) && substr(p, length(p) - length(s) + 1) == s) print p }' "$STATUS")
[ ${#k_pkgs[@]} -gt 0 ] || die "the netboot initrd's status lists no udebs of kernel $K_NETBOOT"
mapfile -t k_cands < <({ printf '%s\n' "${KV[@]}" | grep -vx -- - | grep -vxF "$K_NETBOOT" | sort -urV; })
K=
for k in "$K_NETBOOT" "${k_cands[@]}"; do
	need=()
	ok=1
	for p in "${k_pkgs[@]}"; do
		need+=("${p%"-$K_NETBOOT-di"}-$k-di")
		[ -n "${FN[${need[-1]}]:-}" ] || ok=0
	done
	if [ $ok = 0 ]; then note "kernel $k: the archive lacks some of its udebs"; continue; fi
	k_all=()
	for p in "${!KV[@]}"; do [ "${KV[$p]}" = "$k" ] && k_all+=("$p"); done
	fetch_udebs "${k_all[@]}"
	for p in "${need[@]}"; do [ -n "${HAVE[$p]:-}" ] || ok=0; done
	if [ $ok = 1 ]; then K=$k; break; fi
	note "kernel $k: the mirror lacks some of its udebs"
done
[ -n "$K" ] || die "the archive has the udebs of no kernel the initrd could use (see $LOG)"
note "kernel: $K (netboot's: $K_NETBOOT)"
nokernel=()
for p in "${!KV[@]}"; do [ "${KV[$p]}" = - ] && nokernel+=("$p"); done
fetch_udebs "${nokernel[@]}"
for p in "${REMOVE_UDEBS[@]}" "${ADD_UDEBS[@]}"; do
	[ -n "${HAVE[$p]:-}" ] || die "the udeb $p is not on the mirror"
done
udeb() { printf '%s/%s' "$UDEBS" "${FN[$1]##*/}"; }

# --- The CD flavour's initrd. The status file as stanzas, one file each (sorted back together
# at the end, as debian-installer's build writes it: by name, debian-installer last).
ST=$W/status.d
mkdir -p "$ST"
awk -v RS= -v d="$ST" '{ n = $0; sub(/^Package: /, "", n); sub(/\n.*/, "", n); print $0 > (d "/" n); close(d "/" n) }' "$STATUS"
# drop_udeb PACKAGE: its stanza and its info files (and, given its .udeb, its files but not
# its directories).
drop_udeb() {
	local f
	rm -f "$ST/$1" "$INFO/$1".*
	[ $# -gt 1 ] || return 0
	while IFS= read -r f; do
		f=${f#./}
		[ -n "$f" ] || continue
		if [ -L "$TREE/$f" ] || { [ -e "$TREE/$f" ] && [ ! -d "$TREE/$f" ]; }; then rm -f "$TREE/$f"; fi
	done < <(dpkg-deb --fsys-tarfile "$2" | tar -t)
}
# add_udeb PACKAGE: unpacks it into the tree (through its /usr symlinks), its control scripts
# and templates to var/lib/dpkg/info/PACKAGE.*, and its stanza, as debian-installer's build
# leaves them: Package, Status, Version, Provides, Depends, the Description's first line,
# Installer-Menu-Item.
add_udeb() {
	local u c m
	u=$(udeb "$1")
	c=$W/control/$1
	dpkg-deb --fsys-tarfile "$u" | tar -x -C "$TREE" --keep-directory-symlink
	mkdir -p "$c"
	dpkg-deb -e "$u" "$c"
	for m in "$c"/*; do
		case ${m##*/} in control | md5sums | conffiles) ;; *) cp -p "$m" "$INFO/$1.${m##*/}" ;; esac
	done
	awk 'BEGIN { n = split("Package Status Version Provides Depends Description Installer-Menu-Item", order, " ") }
	/^[ \t]/ { next }
	{ k = substr($0, 1, index($0, ":") - 1); v[k] = substr($0, index($0, ":") + 1); sub(/^[ \t]+/, "", v[k]) }
	END {
		v["Status"] = "install ok unpacked"
		for (i = 1; i <= n; i++) if (order[i] in v) printf "%s: %s\n", order[i], v[order[i]]
	}' "$c/control" >"$ST/$1"
	[ "$(sed -n 's/^Package: //p' "$ST/$1")" = "$1" ] || die "$u is not the udeb $1"
}
for p in "${REMOVE_UDEBS[@]}"; do
	[ -f "$ST/$p" ] || die "the netboot initrd has no $p"
	drop_udeb "$p" "$(udeb "$p")"
done
for p in "${ADD_UDEBS[@]}"; do add_udeb "$p"; done
if [ "$K" != "$K_NETBOOT" ]; then
	for p in "${k_pkgs[@]}"; do drop_udeb "$p"; done
	rm -rf "${TREE:?}/lib/modules/$K_NETBOOT"
	for p in "${k_pkgs[@]}"; do add_udeb "${p%"-$K_NETBOOT-di"}-$K-di"; done
	run 300 depmod -b "$TREE" "$K"
	# debian-installer's build keeps only the binary indexes of these.
	rm -f "$TREE/lib/modules/$K"/modules.{alias,dep,symbols,builtin.alias}
	dpkg-deb --fsys-tarfile "$(udeb "kernel-image-$K-di")" | tar -xO "./boot/vmlinuz-$K" >"$W/vmlinuz"
	rm -rf "${TREE:?}/boot"
else
	cp "$NB/linux" "$W/vmlinuz"
fi
[ -d "$TREE/lib/modules/$K/kernel" ] || die "the initrd has no modules for $K"
sed -i 's/^Version: netboot-/Version: cdrom-/' "$ST/debian-installer"
{
	find "$ST" -type f ! -name debian-installer -printf '%f\n' | LC_ALL=C sort |
		while IFS= read -r p; do cat "$ST/$p"; echo; done
	cat "$ST/debian-installer"
	echo
} >"$STATUS"
note "initrd: $(grep -c '^Package:' "$STATUS") udebs in its status"
ISO=$W/iso
mkdir -p "$ISO/install.amd"
(cd "$TREE" && { echo .; find . -mindepth 1 -printf '%P\n' | LC_ALL=C sort; } |
	cpio -o -H newc -R 0:0 --quiet) | gzip -9n >"$ISO/install.amd/initrd.gz"
cp "$W/vmlinuz" "$ISO/install.amd/vmlinuz"

# --- The udeb repository: those of kernel K and those of no kernel, each at its Filename.
: >"$W/included"
n=0
for p in "${!HAVE[@]}"; do
	[ "${KV[$p]}" = - ] || [ "${KV[$p]}" = "$K" ] || continue
	mkdir -p "$ISO/$(dirname "${FN[$p]}")"
	ln "$(udeb "$p")" "$ISO/${FN[$p]}" 2>/dev/null || cp "$(udeb "$p")" "$ISO/${FN[$p]}"
	echo "$p" >>"$W/included"
	n=$((n + 1))
done
note "pool: $n udebs"
BIN=$ISO/dists/$DIST/main/debian-installer/binary-$ARCH
mkdir -p "$BIN"
awk -v ORS='\n\n' 'NR == FNR { want["Package: " $0]; next }
	{ p = $0; sub(/\n.*/, "", p); if (p in want) print }' RS='\n' "$W/included" RS= "$W/Packages.all" >"$BIN/Packages"
[ "$(grep -c '^Package:' "$BIN/Packages")" = "$n" ] || die "the Packages file does not list the $n udebs"
gzip -9nc "$BIN/Packages" >"$BIN/Packages.gz"
# apt-ftparchive release lists the Packages files (relative to the suite's directory) with their
# sizes and checksums; written outside the tree, so that it does not list itself.
(cd "$ISO/dists/$DIST" && timeout 120 apt-ftparchive \
	-o APT::FTPArchive::Release::Origin=Debian -o APT::FTPArchive::Release::Label=Debian \
	-o APT::FTPArchive::Release::Suite=stable -o APT::FTPArchive::Release::Codename=$DIST \
	-o APT::FTPArchive::Release::Architectures=$ARCH -o APT::FTPArchive::Release::Components=main \
	-o "APT::FTPArchive::Release::Description=Debian 13 (trixie) installer udebs, isoboot test ISO" \
	-o APT::FTPArchive::Release::MD5=true -o APT::FTPArchive::Release::SHA1=false \
	-o APT::FTPArchive::Release::SHA256=true -o APT::FTPArchive::Release::SHA512=false \
	release . >"$W/Release") 2>>"$LOG" || die "apt-ftparchive release failed (see $LOG)"
mv "$W/Release" "$ISO/dists/$DIST/Release"
grep -q " main/debian-installer/binary-$ARCH/Packages\$" "$ISO/dists/$DIST/Release" ||
	die "the Release lists no Packages file"
ln -s "$DIST" "$ISO/dists/stable"
ln -s . "$ISO/debian"
mkdir -p "$ISO/.disk"
printf '%s' "$DISK_INFO" >"$ISO/.disk/info"

# --- Boot menus, as Debian's netinst writes them (its text menu entry, without the graphical
# menu around it).
mkdir -p "$ISO/isolinux" "$ISO/boot/grub"
cp /usr/lib/ISOLINUX/isolinux.bin /usr/lib/syslinux/modules/bios/ldlinux.c32 "$ISO/isolinux/"
cat >"$ISO/isolinux/isolinux.cfg" <<'EOF'
# D-I config version 2.0
# search path for the c32 support libraries (libcom32, libutil etc.)
path 
include txt.cfg
default install
prompt 0
timeout 0
EOF
cat >"$ISO/isolinux/txt.cfg" <<'EOF'
label install
	menu label ^Install
	kernel /install.amd/vmlinuz
	append vga=788 initrd=/install.amd/initrd.gz --- quiet 
EOF
cat >"$ISO/boot/grub/grub.cfg" <<'EOF'
set default=0
set timeout=5
menuentry 'Install' {
    set background_color=black
    linux    /install.amd/vmlinuz vga=788 --- quiet 
    initrd   /install.amd/initrd.gz
}
EOF

# UEFI: a GRUB with its modules built in, in EFI/boot/ and in the El Torito image.
cat >"$W/early.cfg" <<EOF
search --no-floppy --set=root -l '$VOLID'
set prefix=(\$root)/boot/grub
configfile (\$root)/boot/grub/grub.cfg
EOF
mkdir -p "$ISO/EFI/boot"
run 120 grub-mkimage -O x86_64-efi -o "$ISO/EFI/boot/bootx64.efi" -p /boot/grub -c "$W/early.cfg" \
	normal configfile search search_label iso9660 part_gpt part_msdos fat linux gzio echo test \
	all_video efi_gop font gfxterm terminal reboot halt
img=$ISO/boot/grub/efi.img
run 60 mkfs.vfat -n EFIBOOT -C "$img" $(($(stat -c %s "$ISO/EFI/boot/bootx64.efi") / 1024 + 512))
run 60 mmd -i "$img" ::/efi ::/efi/boot
run 60 mcopy -i "$img" "$ISO/EFI/boot/bootx64.efi" ::/efi/boot/bootx64.efi

run 900 xorriso -as mkisofs -o "$TMP_ISO" -V "$VOLID" -r -J -joliet-long \
	-isohybrid-mbr /usr/lib/ISOLINUX/isohdpfx.bin \
	-b isolinux/isolinux.bin -c isolinux/boot.cat -no-emul-boot -boot-load-size 4 -boot-info-table \
	-eltorito-alt-boot -e boot/grub/efi.img -no-emul-boot -isohybrid-gpt-basdat "$ISO"
rm -f "$OUT/$NAME.stamp"
mv -f "$TMP_ISO" "$OUT/$NAME"
printf '%s\n%s\n' "$STAMP" "$((SECONDS - T0))" >"$OUT/$NAME.stamp"
note "=== done: $n udebs, kernel $K, $((SECONDS - T0)) s"
BUILT=1
summary
