#!/bin/bash
# The README's "run" command: installs what is needed, builds isoboot, and runs its whole service
# set on a demo ISO folder seeded with memtest86+x64.iso from Debian's memtest86+ package,
# each service started exactly as its systemd socket unit will start it:
#   isoboot-scan   catalogues the folder (the catalog is printed);
#   isoboot-iscsi  every ISO as an iSCSI target, a process per connection (Accept=yes), :3260;
#   isoboot-menu   the iPXE menu and the ISOs over HTTP (Accept=no), :80;
#   in.tftpd       the boot chain (pxelinux.0, ipxe.lkrn, snponly.efi ...), :69/udp.
# It prints the menu URL and the DHCP settings to use, checks each service once, and serves
# until Ctrl-C.
#   DEMO_DIR      state folder (default .demo/ in the checkout)
#   DEMO_ADDR     address to serve on (default 127.0.0.1; 0.0.0.0 serves the LAN)
#   DEMO_SECONDS  stop by itself after this many seconds (default: run until Ctrl-C)
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
cd "$SRC"
DEMO=${DEMO_DIR:-$SRC/.demo}
ADDR=${DEMO_ADDR:-127.0.0.1}

bash tests/install-deps.sh
bash tests/fetch-isos.sh
[ -d build ] || meson setup build >/dev/null
ninja -C build >/dev/null

mkdir -p "$DEMO/iso" "$DEMO/state" "$DEMO/tftp/pxelinux.cfg"
[ -e "$DEMO/iso/memtest86+x64.iso" ] || cp .cache/isos/memtest86+x64.iso "$DEMO/iso/"
cat > "$DEMO/isoboot.conf" <<CONF
[paths]
iso_dir = $DEMO/iso
state_dir = $DEMO/state

[menu]
title = isoboot demo
CONF
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
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT INT TERM
run() { timeout "${DEMO_SECONDS:-infinity}" "$@" & pids+=($!); }
run systemd-socket-activate --accept -l "$ADDR:3260" \
	build/src/iscsi/isoboot-iscsi --config "$DEMO/isoboot.conf"
run systemd-socket-activate -l "$ADDR:80" \
	build/src/menu/isoboot-menu --config "$DEMO/isoboot.conf"
run systemd-socket-activate --datagram --inetd -l "$ADDR:69" in.tftpd -s "$DEMO/tftp"
for _ in $(seq 1 50); do
	ss -Hltn "sport = :80" | grep -q . && ss -Hltn "sport = :3260" | grep -q . && break
	sleep 0.1
done

host=$ADDR
[ "$host" = 0.0.0.0 ] && host=$(ip -4 route get 192.0.2.1 2>/dev/null | sed -n 's/.* src \([0-9.]*\).*/\1/p' | head -n1)
host=${host:-127.0.0.1}
echo "== the menu: http://$host/boot.ipxe"
curl -fsS "http://127.0.0.1/boot.ipxe" -H "Host: $host" | sed -n '1,12p'
echo "..."
echo "== iSCSI: iscsi-ls -s iscsi://127.0.0.1:3260"
iscsi-ls -s "iscsi://127.0.0.1:3260"
echo "== TFTP: pxelinux.0"
tftp 127.0.0.1 -c get pxelinux.0 "$DEMO/pxelinux.0.check" && cmp -s "$DEMO/pxelinux.0.check" "$DEMO/tftp/pxelinux.0" &&
	echo "pxelinux.0 fetched, $(stat -c %s "$DEMO/pxelinux.0.check") bytes"
rm -f "$DEMO/pxelinux.0.check"
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
