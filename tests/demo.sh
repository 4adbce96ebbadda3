#!/bin/bash
# The README's "run" command: installs what is needed, builds isoboot, and runs it on a demo ISO
# folder seeded with memtest86+x64.iso from Debian's memtest86+ package.
# Today the service set is the scanner: it catalogues the folder and the catalog is printed.
# State lives in .demo/ (DEMO_DIR to change it); nothing is installed outside the checkout.
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
cd "$SRC"
DEMO=${DEMO_DIR:-$SRC/.demo}

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
echo "Drop more ISOs into $DEMO/iso and run this again to see them catalogued."
