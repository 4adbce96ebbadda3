#!/bin/bash
# The README's "run" command: installs what is needed, builds isoboot, and runs its services on
# a demo ISO folder seeded with memtest86+x64.iso from Debian's memtest86+ package:
#   isoboot-scan catalogues the folder (and the catalog is printed);
#   isoboot-iscsi serves every ISO as an iSCSI target, one process per connection, started
#   exactly as its systemd socket unit does (systemd-socket-activate --accept).
# It then shows the targets with libiscsi's iscsi-ls and keeps serving until Ctrl-C.
#   DEMO_DIR      state folder (default .demo/ in the checkout)
#   DEMO_LISTEN   iSCSI address (default 127.0.0.1:3260; 0.0.0.0:3260 serves the LAN)
#   DEMO_SECONDS  stop by itself after this many seconds (default: run until Ctrl-C)
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
cd "$SRC"
DEMO=${DEMO_DIR:-$SRC/.demo}
LISTEN=${DEMO_LISTEN:-127.0.0.1:3260}

bash tests/install-deps.sh
bash tests/fetch-isos.sh
[ -d build ] || meson setup build >/dev/null
ninja -C build >/dev/null

mkdir -p "$DEMO/iso" "$DEMO/state"
[ -e "$DEMO/iso/memtest86+x64.iso" ] || cp .cache/isos/memtest86+x64.iso "$DEMO/iso/"
cat > "$DEMO/isoboot.conf" <<CONF
[paths]
iso_dir = $DEMO/iso
state_dir = $DEMO/state

[menu]
title = isoboot demo
CONF

echo "== isoboot-scan --config $DEMO/isoboot.conf"
build/src/scan/isoboot-scan --config "$DEMO/isoboot.conf" 2>&1
echo
echo "== $DEMO/state/catalog (format: man -l build/man/isoboot-catalog.5)"
cat "$DEMO/state/catalog"
echo

echo "== isoboot-iscsi on $LISTEN (as isoboot-iscsi.socket runs it: Accept=yes)"
timeout "${DEMO_SECONDS:-infinity}" systemd-socket-activate --accept -l "$LISTEN" \
	build/src/iscsi/isoboot-iscsi --config "$DEMO/isoboot.conf" &
pid=$!
trap 'kill "$pid" 2>/dev/null || true' EXIT INT TERM
for _ in $(seq 1 50); do ss -Hltn "sport = :${LISTEN##*:}" | grep -q . && break; sleep 0.1; done
host=${LISTEN%:*}
[ "$host" = 0.0.0.0 ] && host=127.0.0.1
echo "== iscsi-ls -s iscsi://$host:${LISTEN##*:}"
iscsi-ls -s "iscsi://$host:${LISTEN##*:}"
iqn=$(awk '$1 == "iqn" { print $2; exit }' "$DEMO/state/catalog")
echo
echo "Serving. Try:  iscsi-inq iscsi://$host:${LISTEN##*:}/$iqn/0"
echo "From iPXE:     sanboot iscsi:<this server>::::$iqn"
echo "Drop more ISOs into $DEMO/iso and rerun isoboot-scan; Ctrl-C stops."
wait "$pid" || true
