#!/bin/bash
# The user's story under a real systemd, from the package, as an administrator lives it, on
# Debian 12 (bookworm) or Debian 13 (trixie):
#   1. a minimal Debian of that release with systemd (debootstrap; the mirror comes from this
#      machine's apt configuration; cached outside the checkout, which CI clones afresh, in
#      /var/cache/isoboot-tests/rootfs/RELEASE, made again after ISOBOOT_ROOTFS_MAX_AGE days,
#      and copied per run);
#   2. `apt install ./isoboot_*.deb` in it, so that the dependencies come from the archive: on
#      trixie, the boot files (iPXE 1.21.1, PXELINUX, memdisk) and tftp-hpa are trixie's, which
#      the QEMU boots below then use;
#   3. `systemd-nspawn -b` of that tree inside a network namespace this test made;
#   4. `systemctl enable --now isoboot.target`;
#   5. ISOs copied into /var/lib/isoboot/iso, one of them a 4.5 GiB copy that must end in a
#      single rescan once complete and never be catalogued half-copied;
#   6. from outside the container: curl gets the menu with the new ISOs, iscsi-ls discovers their
#      targets, tftp fetches pxelinux.0 (and the other boot files, byte for byte), and QEMU
#      network-boots the ISO from the container's services, SeaBIOS through pxelinux and OVMF
#      through its own PXE and snponly.efi;
#   7. the container's journal shows the scan, the HTTP requests and the iSCSI session;
# plus what a maintainer checks: `systemd-analyze verify` and `security` on the installed units,
# tftpd-hpa (which the package pulls in and which wants port 69) stopped by the target and kept
# off after a reboot of the container, and the services back after that reboot.
#
# The site's DHCP server is dnsmasq on the host side of the same namespace (addresses, and the
# boot file names an administrator configures for isoboot; no TFTP or HTTP of its own).
#
# Environment:
#   ISOBOOT_STORY_RELEASE  bookworm (default) or trixie
#   ISOBOOT_DEB          the .deb to install (default on bookworm: built now with
#                        packaging/build-deb.sh; on trixie: the one tests/system/trixie-build.sh
#                        built in its Debian 13 tree, in $BUILD/tests/system-logs/trixie-build)
#   ISOBOOT_MIRROR       Debian mirror for debootstrap (default: from the apt configuration)
#   ISOBOOT_ROOTFS_CACHE where the base systems are kept (default /var/cache/isoboot-tests/rootfs)
#   ISOBOOT_ROOTFS_MAX_AGE  days before a base system is made again (default 30)
#   ISOBOOT_SYSTEM_LOGS  where logs go (default $BUILD/tests/system-logs/story)
#   BOOT_TIMEOUT         seconds per QEMU boot (default 150)
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=../lib/vm.sh
. "$(dirname "$0")/../lib/vm.sh"

need_root
RELEASE=${ISOBOOT_STORY_RELEASE:-bookworm}
case $RELEASE in
bookworm | trixie) ;;
*) fail "ISOBOOT_STORY_RELEASE must be bookworm or trixie, not '$RELEASE'"; finish ;;
esac
BOOT_TIMEOUT=${BOOT_TIMEOUT:-150}
missing=$(vm_missing_tools debootstrap flock systemd-nspawn nsenter curl iscsi-ls tftp dnsmasq \
	qemu-system-x86_64 ip ss timeout /dev/net/tun "$VM_NIC_ROM" "$VM_OVMF_CODE" "$VM_OVMF_VARS")
[ -z "$missing" ] || skip "needs ${missing//$'\n'/ }"
RESCUE=$(third_party_iso grub-rescue-cdrom.iso)
BIG=$(built_iso big.iso)
SMALL=$(built_iso small.iso)
[ -s "$CACHE/built/big.marker" ] || skip "big.marker missing (run tests/build-test-isos.sh)"
MARK=$(tr -d '\r\n' <"$CACHE/built/big.marker")

STORY=story
[ "$RELEASE" = bookworm ] || STORY=story-$RELEASE
LOGS=${ISOBOOT_SYSTEM_LOGS:-$BUILD/tests/system-logs/$STORY}
rm -rf "$LOGS"
mkdir -p "$LOGS"
ROOT=$TMP/rootfs
P1=
NSPAWN_PID=
BROWSER_PID=

# X CMD...: runs CMD inside the booted container, bounded to 60 s.
X() { timeout 60 nsenter -t "$P1" -a "$@"; }

container_poweroff() {
	[ -n "$P1" ] || return 0
	X systemctl poweroff >/dev/null 2>&1 || true
	for _ in $(seq 100); do
		vm_running "$NSPAWN_PID" || break
		sleep 0.1
	done
	vm_stop "$NSPAWN_PID"
	P1=
}
# shellcheck disable=SC2317  # called from the EXIT trap
cleanup() {
	[ -z "$BROWSER_PID" ] || vm_stop "$BROWSER_PID"
	container_poweroff
	vm_cleanup
	# Never remove a tree that still has something mounted inside it.
	if grep -q " $TMP/" /proc/mounts; then
		echo "mounts left under $TMP; not removing it" >&2
	else
		cleanup_tmp
	fi
}
trap 'exit 130' INT TERM
trap cleanup EXIT

# --- 1. The base system, built once and cached.
# shellcheck source=../lib/apt-mirror.sh
. "$(dirname "$0")/../lib/apt-mirror.sh"
ROOTFS_CACHE=${ISOBOOT_ROOTFS_CACHE:-/var/cache/isoboot-tests/rootfs}
MAX_AGE=${ISOBOOT_ROOTFS_MAX_AGE:-30}
BASE=$ROOTFS_CACHE/$RELEASE
mkdir -p "$ROOTFS_CACHE"
# One run at a time makes or copies a base system.
exec 9>"$ROOTFS_CACHE/lock"
flock -w 1800 9 || { fail "another run holds $ROOTFS_CACHE/lock"; finish; }
if [ ! -x "$BASE/usr/lib/systemd/systemd" ] || [ -z "$(find "$BASE.stamp" -mtime -"$MAX_AGE" 2>/dev/null)" ]; then
	mirror=${ISOBOOT_MIRROR:-$(apt_mirror || true)}
	mirror=${mirror:-http://deb.debian.org/debian}
	log "debootstrap $RELEASE from $mirror into $BASE"
	# debootstrap mounts /proc and /sys in the tree: never remove one that a killed run left
	# mounted.
	if grep -qE " ($BASE|$BASE\.partial)/" /proc/mounts; then
		fail "mounts left under $BASE or $BASE.partial"
		finish
	fi
	rm -rf --one-file-system "$BASE.partial" "$BASE.stamp"
	t0=$(vm_ms)
	if ! timeout 900 debootstrap --variant=minbase --include=systemd-sysv,dbus \
		"$RELEASE" "$BASE.partial" "$mirror" >"$LOGS/debootstrap.log" 2>&1; then
		tail -15 "$LOGS/debootstrap.log"
		fail "debootstrap $RELEASE"
		finish
	fi
	rm -rf --one-file-system "$BASE"
	mv "$BASE.partial" "$BASE"
	touch "$BASE.stamp"
	log "debootstrap took $(vm_secs "$t0") s"
fi
cp -a "$BASE" "$ROOT"
exec 9>&-
log "base system: $(sed -n 's/^PRETTY_NAME="\(.*\)"$/\1/p' "$ROOT/etc/os-release"), made $(date -r "$BASE.stamp" '+%F %R')"

# --- 2. The package, installed with apt so that its dependencies come from the archive.
DEB=${ISOBOOT_DEB:-}
if [ -z "$DEB" ] && [ "$RELEASE" = trixie ]; then
	# trixie-build (before this test in meson's order) built it in a Debian 13 tree; it empties
	# its folder when it starts, so a package there is from this run or from the last one that
	# got as far.
	debs=("$BUILD"/tests/system-logs/trixie-build/isoboot_*.deb)
	DEB=${debs[0]}
	[ -s "$DEB" ] || { fail "no .deb built for trixie in $BUILD/tests/system-logs/trixie-build (run the trixie-build test first)"; finish; }
elif [ -z "$DEB" ]; then
	DEB=$("$SRC/packaging/build-deb.sh" "$TMP/deb" | tail -1) || { fail "packaging/build-deb.sh"; finish; }
fi
[ -s "$DEB" ] || { fail "no package at '$DEB'"; finish; }
log "package: $DEB ($(date -r "$DEB" '+%F %R'))"
mkdir -p "$ROOT/var/cache/isoboot-test"
cp "$DEB" "$ROOT/var/cache/isoboot-test/"
# No daemon may start while installing (tftpd-hpa's init script would, on this host's network).
printf '#!/bin/sh\nexit 101\n' >"$ROOT/usr/sbin/policy-rc.d"
chmod +x "$ROOT/usr/sbin/policy-rc.d"
in_root() {
	timeout 600 systemd-nspawn -q -D "$ROOT" --register=no --keep-unit --resolv-conf=copy-host \
		--setenv=DEBIAN_FRONTEND=noninteractive "$@"
}
t0=$(vm_ms)
if ! in_root apt-get update >"$LOGS/apt.log" 2>&1 ||
	! in_root apt-get install -y --no-install-recommends "/var/cache/isoboot-test/$(basename "$DEB")" >>"$LOGS/apt.log" 2>&1; then
	tail -20 "$LOGS/apt.log"
	fail "apt install ./$(basename "$DEB")"
	finish
fi
rm -f "$ROOT/usr/sbin/policy-rc.d"
rm -rf "$ROOT/var/cache/isoboot-test"
pass "apt install ./$(basename "$DEB") with its dependencies from the archive ($(vm_secs "$t0") s)"
check "the package created the isoboot user" grep -q '^isoboot:' "$ROOT/etc/passwd"
# (The container's uid: this host has no isoboot user.)
check "the package created /var/lib/isoboot/iso, owned by isoboot" \
	test "$(stat -c %u "$ROOT/var/lib/isoboot/iso" 2>/dev/null)" = "$(awk -F: '$1 == "isoboot" { print $3 }' "$ROOT/etc/passwd")"
check "the man pages are installed" test -s "$ROOT/usr/share/man/man7/isoboot.7.gz" -a \
	-s "$ROOT/usr/share/man/man5/isoboot.conf.5.gz" -a -s "$ROOT/usr/share/man/man8/isoboot-iscsi.8.gz"
# The administrator's one edit: which ISO the menu starts when nobody chooses (a short timeout,
# for the test's sake).
printf '\n[menu]\ndefault = big.iso\ntimeout = 2\n' >>"$ROOT/etc/isoboot/isoboot.conf"
echo isoboot-story >"$ROOT/etc/hostname"

# --- The network: namespace, bridge 192.0.2.1, tap for QEMU, dnsmasq as the site's DHCP server.
NS=isob-story-$$
vm_netns_up "$NS" || skip "cannot create network namespace $NS"
DCONF=$TMP/dnsmasq.conf
BIOS_MAC=52:54:00:1d:00:01
EFI_MAC=52:54:00:1d:00:02
{
	vm_dnsmasq_conf "$TMP/dnsmasq.leases" "$TMP/dnsmasq.pid"
	cat <<-EOF
		dhcp-match=set:efi64,option:client-arch,7
		dhcp-match=set:efi64,option:client-arch,9
		# QEMU's BIOS PXE ROM is iPXE; this VM stands in for a plain PXE ROM (see boot-matrix.sh).
		dhcp-mac=set:pxerom,$BIOS_MAC
	EOF
	vm_dnsmasq_boot_lines
} >"$DCONF"
vm_dnsmasq_start "$DCONF" "$LOGS/dnsmasq.log" || { cat "$LOGS/dnsmasq.log"; fail "dnsmasq"; finish; }

# --- 3. Boot the container with systemd as PID 1, inside the namespace.
boot_container() {
	local t0 st i
	t0=$(vm_ms)
	# Not through `ip netns exec` (vm_spawn), which remounts /sys without the cgroup tree that
	# systemd needs: nspawn joins the namespace itself.
	timeout -k 5 "$VM_SRV_TMO" systemd-nspawn -D "$ROOT" -b --register=no --keep-unit \
		--console=read-only --network-namespace-path="/run/netns/$NS" \
		>>"$LOGS/nspawn-console.log" 2>&1 </dev/null &
	NSPAWN_PID=$!
	VM_PIDS+=("$NSPAWN_PID")
	P1=
	for i in $(seq 200); do
		local p=$NSPAWN_PID
		while [ -n "$p" ]; do
			if [ "$(cat "/proc/$p/comm" 2>/dev/null)" = systemd ]; then
				P1=$p
				break
			fi
			p=$(pgrep -P "$p" | head -1)
		done
		[ -n "$P1" ] && break
		vm_running "$NSPAWN_PID" || break
		sleep 0.1
	done
	[ -n "$P1" ] || return 1
	for i in $(seq 300); do
		st=$(timeout 5 nsenter -t "$P1" -a systemctl is-system-running 2>/dev/null) || true
		case $st in running | degraded) break ;; esac
		sleep 0.1
	done
	log "container: systemd is $st after $(vm_secs "$t0") s (pid 1 = $P1)"
	case $st in running | degraded) return 0 ;; esac
	return 1
}
boot_container || { tail -20 "$LOGS/nspawn-console.log"; fail "the container did not boot"; finish; }
if [ "$(X systemctl is-system-running 2>/dev/null)" = degraded ]; then
	X systemctl --no-pager --failed | tee "$LOGS/failed-units.txt"
fi
check "tftpd-hpa, as Debian installs it, holds port 69 before isoboot is enabled" \
	test "$(X systemctl is-active tftpd-hpa.service)" = active

# --- 4. The one command.
X systemctl enable --now isoboot.target >"$LOGS/enable.log" 2>&1 || { cat "$LOGS/enable.log"; fail "systemctl enable --now isoboot.target"; }
cat "$LOGS/enable.log"
for u in isoboot.target isoboot-menu.socket isoboot-iscsi.socket isoboot-tftp.socket \
	isoboot-scan.path isoboot-scan.timer; do
	check "$u is active" test "$(X systemctl is-active "$u")" = active
done
check "isoboot-scan.service ran at start and succeeded" \
	test "$(X systemctl show -P Result isoboot-scan.service)" = success
check "isoboot-web.socket is not part of isoboot.target (opt-in)" \
	test "$(X systemctl is-active isoboot-web.socket)" != active
check "isoboot-proxydhcp.socket is not part of isoboot.target (opt-in)" \
	test "$(X systemctl is-active isoboot-proxydhcp.socket)" != active
check "tftpd-hpa was stopped by isoboot-tftp.socket (Conflicts=)" \
	test "$(X systemctl is-active tftpd-hpa.service)" != active

# Maintainer's checks on the installed units, by the container's own systemd.
units=$(cd "$ROOT/lib/systemd/system" && ls isoboot*)
if X sh -c "cd /lib/systemd/system && systemd-analyze verify --man=no ${units//$'\n'/ }" >"$LOGS/verify.log" 2>&1 &&
	! grep -q . "$LOGS/verify.log"; then
	pass "systemd-analyze verify: $(echo "$units" | wc -l) units, no message"
else
	cat "$LOGS/verify.log"
	fail "systemd-analyze verify"
fi
for u in isoboot-menu.service isoboot-iscsi@.service isoboot-scan.service isoboot-tftp.service \
	isoboot-proxydhcp.service isoboot-web.service; do
	X systemd-analyze security --offline=true --no-pager "/lib/systemd/system/$u" >"$LOGS/security-$u.txt" 2>&1 || true
	score=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' "$LOGS/security-$u.txt")
	limit=2.0
	# tftpd needs root to chroot and to drop to the isoboot user, and the host's network.
	[ "$u" = isoboot-tftp.service ] && limit=2.5
	log "systemd-analyze security $u: ${score:-?} (limit $limit)"
	check "$u exposure ${score:-?} <= $limit" awk -v s="${score:-99}" -v l="$limit" 'BEGIN { exit !(s <= l) }'
done

# --- 5. Copy ISOs in, as an administrator does.
# scan_runs: how many times isoboot-scan.service has started, by the journal.
scan_runs() { X journalctl -q --no-pager -o cat _SYSTEMD_UNIT=init.scope | grep -c 'Starting isoboot-scan.service' || true; }
# wait_catalog NAME [SECONDS]: until the catalog lists the ISO named NAME.
# shellcheck disable=SC2317  # called through check
wait_catalog() {
	local i
	for i in $(seq $((${2:-20} * 10))); do
		grep -q "^path $1\$" "$ROOT/var/lib/isoboot/catalog" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}
runs0=$(scan_runs)
cp "$RESCUE" "$ROOT/var/lib/isoboot/iso/"
check "isoboot-scan.path rescanned: grub-rescue-cdrom.iso is in the catalog" wait_catalog grub-rescue-cdrom.iso
runs1=$(scan_runs)
log "rescans for a $(($(stat -c %s "$RESCUE") / 1048576)) MiB copy: $((runs1 - runs0))"

# A 4.5 GiB copy in 64 MiB writes (dd over the sparse image, holes kept): the folder sees the
# file created, then ~70 writes, then one close. Meanwhile the catalog must never list it. The
# watcher looks for the end of the copy first: a watcher that the scheduler let sleep past both
# the copy and the rescan after it must not take the finished copy's entry for a partial one.
seen_partial=0
(
	while :; do
		[ -e "$TMP/copy-done" ] && exit 0
		grep -q '^path big.iso$' "$ROOT/var/lib/isoboot/catalog" 2>/dev/null && exit 1
		sleep 0.05
	done
) &
watcher=$!
t0=$(vm_ms)
dd if="$BIG" of="$ROOT/var/lib/isoboot/iso/big.iso" bs=64M conv=sparse status=none
touch "$TMP/copy-done"
wait "$watcher" || seen_partial=1
copy_s=$(vm_secs "$t0")
check "big.iso was never catalogued while it was being copied" test "$seen_partial" = 0
check "big.iso is in the catalog once the copy is complete" wait_catalog big.iso
# The installed services must never write to them (finish compares the SHA-256).
guard_isos "$ROOT/var/lib/isoboot/iso"
sleep 1
runs2=$(scan_runs)
log "rescans for the 4.5 GiB copy (${copy_s} s of writes): $((runs2 - runs1))"
# PathChanged= sees the creation and the final close: two, never one per write.
check "the 4.5 GiB copy caused at most 2 rescans, not one per write ($((runs2 - runs1)))" \
	test $((runs2 - runs1)) -ge 1 -a $((runs2 - runs1)) -le 2
CAT=$ROOT/var/lib/isoboot/catalog
cp "$CAT" "$LOGS/catalog"
RESCUE_IQN=$(catalog_field "$CAT" "$(catalog_id_of "$CAT" grub-rescue-cdrom.iso)" iqn)
BIG_IQN=$(catalog_field "$CAT" "$(catalog_id_of "$CAT" big.iso)" iqn)

# --- 6. From outside the container.
N() { ip netns exec "$NS" timeout 30 "$@"; }
N curl -sS -o "$LOGS/boot.ipxe" "http://$VM_SRV/boot.ipxe" || true
check "curl: the menu lists grub-rescue-cdrom" grep -q 'grub-rescue-cdrom' "$LOGS/boot.ipxe"
check "curl: the menu lists big" grep -q 'big' "$LOGS/boot.ipxe"
N iscsi-ls "iscsi://$VM_SRV" >"$LOGS/iscsi-ls.txt" 2>&1 || true
check "iscsi-ls discovers $RESCUE_IQN" grep -q "$RESCUE_IQN" "$LOGS/iscsi-ls.txt"
check "iscsi-ls discovers $BIG_IQN" grep -q "$BIG_IQN" "$LOGS/iscsi-ls.txt"
mkdir -p "$TMP/tftp-got"
for f in pxelinux.0=/usr/lib/PXELINUX/pxelinux.0 ldlinux.c32=/usr/lib/syslinux/modules/bios/ldlinux.c32 \
	ipxe.lkrn=/usr/lib/ipxe/ipxe.lkrn undionly.kpxe=/usr/lib/ipxe/undionly.kpxe \
	snponly.efi=/usr/lib/ipxe/snponly.efi ipxe.efi=/usr/lib/ipxe/ipxe.efi memdisk=/usr/lib/syslinux/memdisk \
	chain.ipxe=/usr/share/isoboot/tftp/chain.ipxe pxelinux.cfg/default=/usr/share/isoboot/tftp/pxelinux.cfg/default \
	grub/grub.cfg=/usr/share/isoboot/tftp/grub/grub.cfg; do
	name=${f%%=*}
	out=$TMP/tftp-got/${name//\//_}
	(cd "$TMP/tftp-got" && N tftp "$VM_SRV" -m binary -c get "$name" "$out") >/dev/null 2>&1 || true
	check "tftp get $name: the packaged file, byte for byte" cmp -s "$out" "$ROOT${f#*=}"
done
(cd "$TMP/tftp-got" && N tftp "$VM_SRV" -m binary -c get ../../etc/passwd passwd) >"$LOGS/tftp-escape.txt" 2>&1 || true
check "tftp cannot leave its root (../../etc/passwd)" test ! -s "$TMP/tftp-got/passwd"

# QEMU network boots from the container's services.
rc=0
VM_BOOT_NIC='' vm_boot story-bios bios "$BIOS_MAC" "$BOOT_TIMEOUT" "$LOGS/vm-bios" \
	ISOBOOT-TEST-BOOT-pc ISOBOOT-TEST-HIGH-BEGIN "$MARK" ISOBOOT-TEST-DONE || rc=$?
log "SeaBIOS -> pxelinux.0 -> ipxe.lkrn -> menu -> big.iso over iSCSI: $VM_BOOT_END after $(vm_secs 0 "$VM_BOOT_MS") s"
check "SeaBIOS network-boots big.iso from the container (file past 4 GiB read)" test "$rc" = 0
[ "$rc" = 0 ] || vm_serial_tail "$LOGS/vm-bios/serial.log"
rc=0
VM_BOOT_NIC="virtio-net-pci,romfile=" vm_boot story-efi efi "$EFI_MAC" "$BOOT_TIMEOUT" "$LOGS/vm-efi" \
	ISOBOOT-TEST-BOOT-efi ISOBOOT-TEST-HIGH-BEGIN "$MARK" ISOBOOT-TEST-DONE || rc=$?
log "OVMF PXE -> snponly.efi -> menu -> big.iso over iSCSI: $VM_BOOT_END after $(vm_secs 0 "$VM_BOOT_MS") s"
check "OVMF network-boots big.iso from the container (file past 4 GiB read)" test "$rc" = 0
[ "$rc" = 0 ] || vm_serial_tail "$LOGS/vm-efi/serial.log"

# --- 7. The container's journal.
X journalctl -q --no-pager -o verbose -u isoboot-scan.service >"$LOGS/journal-scan.txt" 2>&1 || true
X journalctl -q --no-pager -o verbose -u isoboot-menu.service >"$LOGS/journal-menu.txt" 2>&1 || true
X journalctl -q --no-pager -o verbose -u 'isoboot-iscsi@*' >"$LOGS/journal-iscsi.txt" 2>&1 || true
X journalctl -q --no-pager -o short-precise -u 'isoboot-tftp*' >"$LOGS/journal-tftp.txt" 2>&1 || true
X journalctl -q --no-pager -o short-precise >"$LOGS/journal-all.txt" 2>&1 || true
check "journal: the scan reports big.iso" grep -q 'big.iso' "$LOGS/journal-scan.txt"
check "journal: the scan reports grub-rescue-cdrom.iso" grep -q 'grub-rescue-cdrom.iso' "$LOGS/journal-scan.txt"
check "journal: isoboot-menu logged the VMs' GET of the menu (structured access entry)" \
	grep -Eq 'MESSAGE=192\.0\.2\.1[0-9][0-9] GET menu: 200' "$LOGS/journal-menu.txt"
check "journal: access entries carry MESSAGE_ID and ISOBOOT_HTTP_STATUS" \
	sh -c "grep -q 'MESSAGE_ID=6169c2410cf3462b9ccdc2b885ad15ab' '$LOGS/journal-menu.txt' && grep -q 'ISOBOOT_HTTP_STATUS=200' '$LOGS/journal-menu.txt'"
check "journal: isoboot-iscsi@ logged a session on $BIG_IQN" grep -q "$BIG_IQN" "$LOGS/journal-iscsi.txt"
check "journal: in.tftpd logged pxelinux.0 and snponly.efi" \
	sh -c "grep -q 'pxelinux.0' '$LOGS/journal-tftp.txt' && grep -q 'snponly.efi' '$LOGS/journal-tftp.txt'"
n_inst=$(X systemctl list-units --all --no-legend 'isoboot-iscsi@*' | grep -c . || true)
# The VMs were killed without closing their connections: those sessions last until TCP gives up
# (TCP_USER_TIMEOUT, 120 s). Ended ones are collected (CollectMode=inactive-or-failed).
log "isoboot-iscsi@ instances loaded after the boots: $n_inst (sessions of the killed VMs)"

# --- The ProxyDHCP under its hardened unit: the site's dnsmasq goes away (port 67), the
# administrator enables isoboot-proxydhcp.socket, and a BIOS PXE DHCPDISCOVER broadcast on the
# bridge gets a ProxyDHCP offer (no address, next-server and pxelinux.0) from the container.
# Then the Secure Boot choice of an ISO's own loader, which both units write
# (/var/lib/isoboot/sb-next): the menu notes it, the UEFI HTTP Boot request of that MAC gets
# the ISO's BOOTX64.EFI, and the ProxyDHCP marks it used.
vm_stop "$VM_DNSMASQ_PID"
X systemctl enable --now isoboot-proxydhcp.socket >>"$LOGS/enable.log" 2>&1 || true
check "isoboot-proxydhcp.socket is active once enabled" test "$(X systemctl is-active isoboot-proxydhcp.socket)" = active
# dhcp_ask MAC12 CLASS ARCH: a DHCPDISCOVER broadcast on the bridge; prints the answer's
# yiaddr, siaddr and boot file (or "no answer").
dhcp_ask() {
	N python3 - "$VM_BR" "$@" <<'PY'
import socket, struct, sys, time
mac = bytes.fromhex(sys.argv[2])
cls = ("%s:Arch:%05d:UNDI:002001" % (sys.argv[3], int(sys.argv[4]))).encode()
xid = 0x150b0075
opts = bytes([53, 1, 1]) + bytes([60, len(cls)]) + cls + bytes([93, 2]) + struct.pack("!H", int(sys.argv[4])) + bytes([255])
pkt = struct.pack("!BBBBIHHIIII", 1, 1, 6, 0, xid, 0, 0x8000, 0, 0, 0, 0) + mac + bytes(10) + bytes(192) + struct.pack("!I", 0x63825363) + opts
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, sys.argv[1].encode())
s.bind(("0.0.0.0", 68))
s.settimeout(0.5)
end = time.time() + 10
while time.time() < end:
    s.sendto(pkt, ("255.255.255.255", 67))
    try:
        while True:
            d = s.recv(2048)
            if len(d) >= 240 and d[0] == 2 and struct.unpack("!I", d[4:8])[0] == xid and d[28:34] == mac:
                print("yiaddr", socket.inet_ntoa(d[16:20]))
                print("siaddr", socket.inet_ntoa(d[20:24]))
                print("file", d[108:236].split(b"\0")[0].decode())
                sys.exit(0)
    except socket.timeout:
        pass
print("no answer")
sys.exit(1)
PY
}
dhcp_ask 5254001d00fe PXEClient 0 >"$LOGS/proxydhcp-offer.txt" 2>&1 || true
check "ProxyDHCP offer: no address (yiaddr 0.0.0.0)" grep -qx 'yiaddr 0.0.0.0' "$LOGS/proxydhcp-offer.txt"
check "ProxyDHCP offer: next-server $VM_SRV" grep -qx "siaddr $VM_SRV" "$LOGS/proxydhcp-offer.txt"
check "ProxyDHCP offer: boot file pxelinux.0" grep -qx 'file pxelinux.0' "$LOGS/proxydhcp-offer.txt"
X journalctl -q --no-pager -o verbose -u isoboot-proxydhcp.service >"$LOGS/journal-proxydhcp.txt" 2>&1 || true
check "journal: isoboot-proxydhcp logged the answer to 52:54:00:1d:00:fe" grep -qi '52:54:00:1d:00:fe' "$LOGS/journal-proxydhcp.txt"
mkdir -p "$TMP/sb-own/EFI/BOOT"
python3 "$SRC/tests/tools/pe-stub.py" "$TMP/sb-own/EFI/BOOT/BOOTX64.EFI" signed
xorriso -as mkisofs -quiet -R -o "$TMP/sb-own.iso" "$TMP/sb-own" >"$LOGS/xorriso-sb-own.log" 2>&1 || true
cp "$TMP/sb-own.iso" "$ROOT/var/lib/isoboot/iso/"
check "isoboot-scan.path rescanned: sb-own.iso is in the catalog" wait_catalog sb-own.iso
SBID=$(catalog_id_of "$CAT" sb-own.iso)
N curl -sS -o "$LOGS/sbnext.txt" "http://$VM_SRV/sbnext/52:54:00:1d:00:fd/$SBID" || true
check "the Secure Boot menu's choice of sb-own.iso's own loader: GRUB is told to restart" \
	grep -qx reboot "$LOGS/sbnext.txt"
check "… noted by isoboot-menu under its unit in /var/lib/isoboot/sb-next" \
	grep -qx "$SBID" "$ROOT/var/lib/isoboot/sb-next/5254001d00fd"
dhcp_ask 5254001d00fd PXEClient 7 >"$LOGS/proxydhcp-sb-pxe.txt" 2>&1 || true
check "ProxyDHCP: that MAC's UEFI PXE request is left unanswered" grep -qx 'no answer' "$LOGS/proxydhcp-sb-pxe.txt"
dhcp_ask 5254001d00fd HTTPClient 16 >"$LOGS/proxydhcp-sb-http.txt" 2>&1 || true
check "ProxyDHCP: its UEFI HTTP Boot request gets the ISO's BOOTX64.EFI" \
	grep -qx "file http://$VM_SRV/sb/$SBID/EFI/BOOT/BOOTX64.EFI" "$LOGS/proxydhcp-sb-http.txt"
check "… and isoboot-proxydhcp, under its unit, marked the choice used" \
	grep -qx "$SBID used" "$ROOT/var/lib/isoboot/sb-next/5254001d00fd"
X systemctl disable --now isoboot-proxydhcp.socket isoboot-proxydhcp.service >>"$LOGS/enable.log" 2>&1 || true

# --- HTTPS boot, opt-in: the administrator enables isoboot-menu-https.socket, sets [menu] https =
# prefer and [server] address (the menu's unit sees no interfaces, so its generated certificate
# names that address), and restarts the menu. curl, trusting that certificate as a client's
# firmware would, gets the whole menu over HTTPS; the plain menu tries HTTPS first.
sed -i 's/^timeout = 2$/timeout = 2\nhttps = prefer/' "$ROOT/etc/isoboot/isoboot.conf"
printf '\n[server]\naddress = %s\n' "$VM_SRV" >>"$ROOT/etc/isoboot/isoboot.conf"
# (systemd refuses to start a socket while the service it feeds runs: stop the menu first; the
# next request starts it with both sockets.)
X systemctl stop isoboot-menu.service >>"$LOGS/enable.log" 2>&1 || true
X systemctl enable --now isoboot-menu-https.socket >>"$LOGS/enable.log" 2>&1 || true
check "isoboot-menu-https.socket is active once enabled" \
	test "$(X systemctl is-active isoboot-menu-https.socket)" = active
X journalctl -q --no-pager -u isoboot-menu-https.socket >"$LOGS/journal-menu-https-socket.txt" 2>&1 || true
N curl -sS -o "$LOGS/https-plain.ipxe" "http://$VM_SRV/boot.ipxe" || true
check "the plain menu has the client's iPXE try HTTPS first" \
	grep -q "chain --replace https://$VM_SRV/boot.ipxe" "$LOGS/https-plain.ipxe"
CERT=$ROOT/var/lib/isoboot/tls/menu-cert.pem
check "the menu generated its certificate in /var/lib/isoboot/tls (the one place its unit writes)" \
	test -s "$CERT"
check "… its key is the isoboot user's alone (0600)" \
	test "$(stat -c '%a %u' "$ROOT/var/lib/isoboot/tls/menu-key.pem" 2>/dev/null)" = \
	"600 $(awk -F: '$1 == "isoboot" { print $3 }' "$ROOT/etc/passwd")"
N curl -sS --cacert "$CERT" -o "$LOGS/https.ipxe" "https://$VM_SRV/boot.ipxe" 2>"$LOGS/https-curl.txt" || true
check "curl trusting that certificate gets the menu over HTTPS from $VM_SRV (an IP address SAN)" \
	grep -q "sanboot iscsi:" "$LOGS/https.ipxe"
X journalctl -q --no-pager -u isoboot-menu.service >"$LOGS/journal-menu-https.txt" 2>&1 || true
check "journal: the menu logged its certificate's fingerprint and https = prefer" sh -c "
	grep -q 'HTTPS certificate /var/lib/isoboot/tls/menu-cert.pem, SHA-256 fingerprint' '$LOGS/journal-menu-https.txt' &&
	grep -q 'over HTTP and HTTPS, https = prefer' '$LOGS/journal-menu-https.txt'"
# Back to plain HTTP for what follows (its clients trust no certificate of this server).
sed -i '/^https = prefer$/d' "$ROOT/etc/isoboot/isoboot.conf"
X systemctl disable --now isoboot-menu-https.socket >>"$LOGS/enable.log" 2>&1 || true
X systemctl restart isoboot-menu.service >>"$LOGS/enable.log" 2>&1 || true

# --- The admin page, opt-in: an account made with isoboot-passwd, the socket enabled, an upload
# over HTTPS that the menu offers without a rescan by hand, the certificate's fingerprint in the
# journal, and the page in a real browser (log in, upload with its progress bar, see it in the
# list and the menu, delete it).
check "isoboot-web.socket is not active before it is enabled (opt-in)" \
	test "$(X systemctl is-active isoboot-web.socket)" != active
WEBPASS='story admin pass'
printf '%s\n' "$WEBPASS" | X isoboot-passwd admin >"$LOGS/passwd.log" 2>&1 || cat "$LOGS/passwd.log"
check "isoboot-passwd made the account (yescrypt)" grep -q '^admin:[$]y[$]' "$ROOT/etc/isoboot/users"
check "the accounts file is 0640 and the isoboot group's" \
	test "$(X stat -c '%a %G' /etc/isoboot/users)" = "640 isoboot"
X systemctl enable --now isoboot-web.socket >>"$LOGS/enable.log" 2>&1 || true
check "isoboot-web.socket is active once enabled" test "$(X systemctl is-active isoboot-web.socket)" = active
W=https://$VM_SRV:8443
code=$(N curl -sk -u "admin:$WEBPASS" -o "$LOGS/web-upload.json" -w '%{http_code}' -T "$RESCUE" \
	"$W/api/isos/web/rescue-web.iso" || true)
check "curl -T to the admin page over HTTPS: 201 ($code)" test "$code" = 201
check "the uploaded ISO is in the catalog" wait_catalog web/rescue-web.iso
N curl -sS -o "$LOGS/boot-web.ipxe" "http://$VM_SRV/boot.ipxe" || true
check "the menu offers the uploaded ISO" grep -q 'rescue-web' "$LOGS/boot-web.ipxe"
check "the uploaded bytes are the ISO's" cmp -s "$RESCUE" "$ROOT/var/lib/isoboot/iso/web/rescue-web.iso"
X journalctl -q --no-pager -o verbose -u isoboot-web.service >"$LOGS/journal-web.txt" 2>&1 || true
served=$(N openssl s_client -connect "$VM_SRV:8443" </dev/null 2>/dev/null |
	openssl x509 -noout -fingerprint -sha256 2>/dev/null | sed 's/.*=//')
check "journal: the certificate's SHA-256 fingerprint is the served one (${served:-none})" \
	grep -q "ISOBOOT_TLS_FINGERPRINT=${served:-none}\$" "$LOGS/journal-web.txt"
check "journal: the upload names the account" grep -q 'admin uploaded web/rescue-web.iso' "$LOGS/journal-web.txt"
# The boots above, as the page shows them: read from the journal by the hardened service.
BIG_ID=$(catalog_id_of "$ROOT/var/lib/isoboot/catalog" big.iso)
N curl -sk -u "admin:$WEBPASS" -o "$LOGS/web-activity.json" "$W/api/activity" || true
check "the admin page's recent boots list the VMs' iSCSI boots of big.iso" python3 - \
	"$LOGS/web-activity.json" "$BIG_ID" <<'PY'
import json, sys
boots = json.load(open(sys.argv[1]))
assert any(b["iso"] == sys.argv[2] and b["method"] == "iSCSI" and b["client"].startswith("192.0.2.")
           for b in boots), boots
PY
N curl -sk -u "admin:$WEBPASS" -o "$LOGS/web-isos.json" "$W/api/isos" || true
check "the list gives big.iso a last boot" python3 -c '
import json, sys
items = [i for i in json.load(open(sys.argv[1])) if i["path"] == "big.iso"]
assert items and items[0]["last_boot"], items' "$LOGS/web-isos.json"
N curl -sk -u "admin:$WEBPASS" -o "$LOGS/web-status.json" "$W/api/status" || true
check "the status panel has systemd's unit states (isoboot-menu.socket active)" python3 -c '
import json, sys
units = {u["name"]: u["state"] for u in json.load(open(sys.argv[1]))["units"]}
assert units.get("isoboot-menu.socket") == "active", units' "$LOGS/web-status.json"
wid=$(catalog_id_of "$ROOT/var/lib/isoboot/catalog" web/rescue-web.iso)
check "DELETE through the API: 204" \
	test "$(N curl -sk -u "admin:$WEBPASS" -o /dev/null -w '%{http_code}' -X DELETE "$W/api/isos/$wid")" = 204
# Replacing an ISO through the API: big.iso replaced by an upload of itself (a new file renamed
# over the old one, 4.5 GiB over HTTPS).
t0=$(vm_ms)
code=$(ip netns exec "$NS" timeout 300 curl -sk -u "admin:$WEBPASS" -o /dev/null -w '%{http_code}' \
	-T "$BIG" "$W/api/isos/big.iso?replace=1" || true)
log "upload of the 4.5 GiB big.iso over HTTPS: $(vm_secs "$t0") s"
check "big.iso uploaded over itself through the API: 201 ($code)" test "$code" = 201
check "big.iso is in the catalog again after its replacement" wait_catalog big.iso
# The page in a real browser: log in, upload small.iso (padded to 256 MiB, so that the progress
# bar has time to move) under a new name, see it in the list and the menu; then, while the
# browser holds (--hold), the menu's default becomes that ISO and a PXE client boots it; then the
# browser deletes it and logs out.
if command -v chromium >/dev/null && /usr/bin/python3 -c 'import selenium' 2>/dev/null; then
	printf '%s\n' "$WEBPASS" >"$TMP/webpass"
	cp --sparse=always "$SMALL" "$TMP/lab-page.iso"
	truncate -s 256M "$TMP/lab-page.iso"
	HOLD=$TMP/browser-hold
	mkdir -p "$HOLD"
	ip netns exec "$NS" timeout 900 /usr/bin/python3 "$SRC/tests/web/browser-test.py" --url "$W/" \
		--user admin --password-file "$TMP/webpass" --iso "$TMP/lab-page.iso" --hold "$HOLD" \
		--artefacts "$LOGS/browser" --menu-url "http://$VM_SRV/boot.ipxe" >"$LOGS/browser.txt" 2>&1 &
	BROWSER_PID=$!
	for _ in $(seq 3000); do # the upload and the list, up to 300 s
		if [ -e "$HOLD/ready" ] || ! vm_running "$BROWSER_PID"; then break; fi
		sleep 0.1
	done
	check "the browser uploaded lab-page.iso and saw it in the list" test -e "$HOLD/ready"
	if [ -e "$HOLD/ready" ]; then
		sed -i 's/^default = big.iso$/default = lab-page.iso/' "$ROOT/etc/isoboot/isoboot.conf"
		X systemctl restart isoboot-menu.service >>"$LOGS/enable.log" 2>&1 || true
		vm_dnsmasq_start "$DCONF" "$LOGS/dnsmasq-web.log" || { cat "$LOGS/dnsmasq-web.log"; fail "dnsmasq"; }
		rc=0
		VM_BOOT_NIC='' vm_boot story-web bios "$BIOS_MAC" "$BOOT_TIMEOUT" "$LOGS/vm-web" \
			ISOBOOT-TEST-BOOT-pc ISOBOOT-TEST-DONE || rc=$?
		log "SeaBIOS -> menu -> lab-page.iso, uploaded in the browser: $VM_BOOT_END after $(vm_secs 0 "$VM_BOOT_MS") s"
		check "a PXE client boots the ISO uploaded in the browser" test "$rc" = 0
		[ "$rc" = 0 ] || vm_serial_tail "$LOGS/vm-web/serial.log"
		vm_stop "$VM_DNSMASQ_PID"
		X journalctl -q --no-pager -u 'isoboot-iscsi@*' >"$LOGS/journal-iscsi-web.txt" 2>&1 || true
		check "journal: the client's iSCSI session was to lab-page.iso" \
			grep -q 'to lab-page.iso ended' "$LOGS/journal-iscsi-web.txt"
		sed -i 's/^default = lab-page.iso$/default = big.iso/' "$ROOT/etc/isoboot/isoboot.conf"
		X systemctl restart isoboot-menu.service >>"$LOGS/enable.log" 2>&1 || true
		if [ "$rc" = 0 ]; then echo ok; else echo "the PXE boot failed"; fi >"$HOLD/go"
	fi
	rc=0
	wait "$BROWSER_PID" || rc=$?
	BROWSER_PID=
	sed 's/^/# /' "$LOGS/browser.txt"
	check "the admin page in chromium: log in, upload, list, menu, boot, delete, log out (exit $rc)" test "$rc" = 0
else
	fail "chromium and python3-selenium are needed for the admin page in a browser"
fi
X systemctl disable --now isoboot-web.socket isoboot-web.service >>"$LOGS/enable.log" 2>&1 || true

# --- The reboot: isoboot.target enabled, tftpd-hpa still enabled by its package.
container_poweroff
boot_container || { tail -20 "$LOGS/nspawn-console.log"; fail "the container did not boot again"; finish; }
check "after a reboot: isoboot-tftp.socket is active" test "$(X systemctl is-active isoboot-tftp.socket)" = active
check "after a reboot: tftpd-hpa did not take port 69" test "$(X systemctl is-active tftpd-hpa.service)" != active
N curl -sS -o "$LOGS/boot-after-reboot.ipxe" "http://$VM_SRV/boot.ipxe" || true
check "after a reboot: the menu still lists big" grep -q 'big' "$LOGS/boot-after-reboot.ipxe"
rm -f "$TMP/tftp-got/pxelinux.0"
(cd "$TMP/tftp-got" && N tftp "$VM_SRV" -m binary -c get pxelinux.0 "$TMP/tftp-got/pxelinux.0") >/dev/null 2>&1 || true
check "after a reboot: tftp serves pxelinux.0" cmp -s "$TMP/tftp-got/pxelinux.0" "$ROOT/usr/lib/PXELINUX/pxelinux.0"
finish
