#!/bin/bash
# The README's "run" command: installs what is needed, builds isoboot, and runs its whole service
# set on a demo ISO folder seeded with memtest86+x64.iso from Debian's memtest86+ package,
# each service started exactly as its systemd socket unit will start it:
#   isoboot-scan   catalogues the folder (the catalog is printed);
#   isoboot-iscsi  every ISO as an iSCSI target, a process per connection (Accept=yes), :3260;
#   isoboot-menu   the iPXE menu and the ISOs over HTTP (Accept=no), :80;
#   in.tftpd       the boot chain (pxelinux.0, ipxe.lkrn, snponly.efi ...), :69/udp.
# It prints the menu URL and the DHCP settings to use, checks each service once, and serves
# until Ctrl-C. The services' own log lines are shown, not systemd-socket-activate's.
#   DEMO_DIR      state folder (default .demo/ in the checkout)
#   DEMO_ADDR     address to serve on (default 127.0.0.1; 0.0.0.0 serves the LAN)
#   DEMO_SECONDS  stop by itself after this many seconds (default: run until Ctrl-C)
#   DEMO_VM=1     no PXE network at hand? The services run in a network namespace the demo
#                 makes (192.0.2.1, with dnsmasq as its DHCP server), the folder also gets
#                 GRUB's rescue ISO (the menu's default), and a QEMU client (SeaBIOS, TCG)
#                 network-boots it: its console is printed from PXE to GRUB's own screen, in
#                 about a minute. Then the demo ends. Needs root.
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
cd "$SRC"
DEMO=${DEMO_DIR:-$SRC/.demo}
ADDR=${DEMO_ADDR:-127.0.0.1}
VM=${DEMO_VM:-0}
if [ "$VM" = 1 ]; then
	[ "$(id -u)" = 0 ] || { echo "demo.sh: DEMO_VM=1 needs root (a network namespace, a tap)" >&2; exit 1; }
	# shellcheck source-path=SCRIPTDIR source=lib/vm.sh
	. tests/lib/vm.sh
	ADDR=$VM_SRV
fi

bash tests/install-deps.sh
bash tests/fetch-isos.sh
[ -d build ] || meson setup build >/dev/null
ninja -C build >/dev/null

mkdir -p "$DEMO/iso" "$DEMO/state" "$DEMO/tftp/pxelinux.cfg"
[ -e "$DEMO/iso/memtest86+x64.iso" ] || cp .cache/isos/memtest86+x64.iso "$DEMO/iso/"
[ "$VM" != 1 ] || [ -e "$DEMO/iso/grub-rescue-cdrom.iso" ] ||
	cp .cache/isos/grub-rescue-cdrom.iso "$DEMO/iso/"
cat > "$DEMO/isoboot.conf" <<CONF
[paths]
iso_dir = $DEMO/iso
state_dir = $DEMO/state

[menu]
title = isoboot demo
CONF
[ "$VM" != 1 ] || printf 'default = grub-rescue-cdrom.iso\ntimeout = 3\n' >> "$DEMO/isoboot.conf"
# The TFTP root: Debian's boot binaries and the chain files isoboot ships (assets/tftp).
for f in /usr/lib/PXELINUX/pxelinux.0 /usr/lib/syslinux/modules/bios/ldlinux.c32 \
	/usr/lib/ipxe/ipxe.lkrn /usr/lib/ipxe/undionly.kpxe /usr/lib/ipxe/snponly.efi \
	/usr/lib/ipxe/ipxe.efi /usr/lib/syslinux/memdisk; do
	cp "$f" "$DEMO/tftp/"
done
cp assets/tftp/chain.ipxe "$DEMO/tftp/"
cp assets/tftp/pxelinux.cfg/default "$DEMO/tftp/pxelinux.cfg/"

echo "== isoboot-scan --config $DEMO/isoboot.conf"
build/src/scan/isoboot-scan --config "$DEMO/isoboot.conf" 2>&1
echo
echo "== $DEMO/state/catalog (format: man -l build/man/isoboot-catalog.5)"
cat "$DEMO/state/catalog"
echo

pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	[ "$VM" != 1 ] || vm_cleanup
}
trap cleanup EXIT INT TERM
NETNS=()
if [ "$VM" = 1 ]; then
	vm_netns_up "isob-demo-$$" || { echo "demo.sh: cannot create a network namespace" >&2; exit 1; }
	NETNS=(ip netns exec "$VM_NS")
fi
# The services' lines, without systemd-socket-activate's own ("Listening on", "Execing" ...).
quiet() { grep --line-buffered -vE '^(Listening on |Communication attempt on fd|Execing |Accepted connection|Connection from |Received SIGCHLD|Child [0-9]+ died|Spawned )' >&2 || true; }
run() { "${NETNS[@]}" timeout "${DEMO_SECONDS:-infinity}" "$@" 2> >(quiet) & pids+=($!); }
run systemd-socket-activate --accept -l "$ADDR:3260" \
	build/src/iscsi/isoboot-iscsi --config "$DEMO/isoboot.conf"
run systemd-socket-activate -l "$ADDR:80" \
	build/src/menu/isoboot-menu --config "$DEMO/isoboot.conf"
run systemd-socket-activate --datagram --inetd -l "$ADDR:69" in.tftpd -s "$DEMO/tftp"
for _ in $(seq 1 50); do
	"${NETNS[@]}" ss -Hltn "sport = :80" | grep -q . && "${NETNS[@]}" ss -Hltn "sport = :3260" | grep -q . && break
	sleep 0.1
done

host=$ADDR
[ "$host" = 0.0.0.0 ] && host=$(ip -4 route get 192.0.2.1 2>/dev/null | sed -n 's/.* src \([0-9.]*\).*/\1/p' | head -n1)
host=${host:-127.0.0.1}
local_addr=127.0.0.1
[ "$VM" != 1 ] || local_addr=$VM_SRV
echo "== the menu: http://$host/boot.ipxe"
"${NETNS[@]}" curl -fsS "http://$local_addr/boot.ipxe" -H "Host: $host" | sed -n '1,12p'
echo "..."
echo "== iSCSI: iscsi-ls -s iscsi://$local_addr:3260"
"${NETNS[@]}" iscsi-ls -s "iscsi://$local_addr:3260"
echo "== TFTP: pxelinux.0"
"${NETNS[@]}" tftp "$local_addr" -c get pxelinux.0 "$DEMO/pxelinux.0.check" &&
	cmp -s "$DEMO/pxelinux.0.check" "$DEMO/tftp/pxelinux.0" &&
	echo "pxelinux.0 fetched, $(stat -c %s "$DEMO/pxelinux.0.check") bytes"
rm -f "$DEMO/pxelinux.0.check"

if [ "$VM" = 1 ]; then
	# The site's DHCP server, in the namespace: iPXE (the NIC's boot ROM) gets the menu, a
	# plain PXE ROM pxelinux.0.
	{
		vm_dnsmasq_conf "$DEMO/dnsmasq.leases" "$DEMO/dnsmasq.pid"
		echo "dhcp-boot=tag:ipxe,http://$VM_SRV/boot.ipxe"
		echo "dhcp-boot=tag:!ipxe,pxelinux.0,,$VM_SRV"
	} > "$DEMO/dnsmasq.conf"
	vm_dnsmasq_start "$DEMO/dnsmasq.conf" "$DEMO/dnsmasq.log" ||
		{ cat "$DEMO/dnsmasq.log"; echo "demo.sh: dnsmasq did not start" >&2; exit 1; }
	echo
	echo "== a PXE client: QEMU (SeaBIOS, iPXE ROM, TCG) on $VM_TAP; its console:"
	rm -rf "$DEMO/vm"
	mkdir -p "$DEMO/vm"
	# Its console as it comes, without the terminal escapes of the firmware's screen (-F: the
	# file appears when the client starts).
	# tail stops once the sleeper is gone, after a last read; waiting for the whole pipeline
	# then makes sure its last line is printed before the verdict.
	sleep 900 &
	sleeper=$!
	pids+=("$sleeper")
	(
		tail -n +1 -F --pid="$sleeper" "$DEMO/vm/serial.log" 2>/dev/null |
			sed -u 's/\x1b\[[0-9]*;[0-9]*[Hf]/\n/g; s/\x1b\[[0-9;?]*[A-Za-z]//g; s/\x1b[()][A-Za-z0-9]//g; s/\r//g' |
			grep --line-buffered -v '^[[:space:]]*$'
	) &
	filter=$!
	rc=0
	vm_boot isoboot-demo bios 52:54:00:de:00:01 "${DEMO_VM_TIMEOUT:-180}" "$DEMO/vm" "GNU GRUB" || rc=$?
	kill "$sleeper" 2>/dev/null || true
	wait "$sleeper" "$filter" 2>/dev/null || true
	echo
	if [ "$rc" = 0 ]; then
		echo "== the client booted grub-rescue-cdrom.iso from isoboot: DHCP, iPXE, the menu, iSCSI," \
			"then GRUB's own screen, after $(vm_secs 0 "$VM_BOOT_MS") s."
	else
		echo "== the client did not reach GRUB ($VM_BOOT_END after $(vm_secs 0 "$VM_BOOT_MS") s);" \
			"its console: $DEMO/vm/serial.log" >&2
	fi
	exit "$rc"
fi
cat <<TXT

isoboot serves $DEMO/iso on $ADDR: menu http://$host/boot.ipxe, iSCSI $host:3260, TFTP $host:69.
Point PXE clients at it from your DHCP server (dnsmasq):
  dhcp-userclass=set:ipxe,iPXE
  dhcp-match=set:efi64,option:client-arch,7
  dhcp-match=set:efi64,option:client-arch,9
  dhcp-boot=tag:ipxe,http://$host/boot.ipxe
  dhcp-boot=tag:!ipxe,tag:efi64,snponly.efi,,$host
  dhcp-boot=tag:!ipxe,tag:!efi64,pxelinux.0,,$host
(ISC dhcpd: see README.md). From any iPXE prompt:  chain http://$host/boot.ipxe
Drop more ISOs into $DEMO/iso and run build/src/scan/isoboot-scan --config $DEMO/isoboot.conf.
Ctrl-C stops.
TXT
wait "${pids[0]}" || true
