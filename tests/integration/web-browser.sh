#!/bin/bash
# The admin page in a real browser (Debian's chromium, headless, driven by python3-selenium:
# tests/web/browser-test.py) against isoboot-web over HTTPS with isoboot-menu beside it: log in
# (a wrong password first), upload an ISO through the page with its progress bar moving, see it
# in the list and in /boot.ipxe, delete it, log out. Screenshots and the browser's console log
# are kept in $ISOBOOT_ARTEFACTS (default: the build's meson-logs/web-browser).
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
need_cmd chromium chromedriver ss
if ! /usr/bin/python3 -c 'import selenium' 2>/dev/null; then
	skip "needs python3-selenium (Debian's python3, /usr/bin/python3)"
fi
WEB=$BUILD/src/web/isoboot-web
PASSWD=$BUILD/src/web/isoboot-passwd
MENU=$BUILD/src/menu/isoboot-menu
ART=${ISOBOOT_ARTEFACTS:-$BUILD/meson-logs/web-browser}

mkdir -p "$TMP/iso" "$TMP/state" "$ART"
write_config "$TMP/c.conf" "$TMP/iso" "$TMP/state" "[web]" "users = $TMP/users" \
	"assets = $SRC/assets/web"
printf 'browser test pass\n' >"$TMP/pw"
"$PASSWD" --config "$TMP/c.conf" admin <"$TMP/pw" >/dev/null
# An ISO large enough for several progress events over loopback: a real image padded to
# 256 MiB (the volume ends where it did; the rest is zeros).
cp "$(third_party_iso grub-rescue-cdrom.iso)" "$TMP/lab-rescue.iso"
truncate -s 256M "$TMP/lab-rescue.iso"
guard_isos "$TMP/lab-rescue.iso"
"$SCAN" --config "$TMP/c.conf" 2>/dev/null

WPORT=$(free_port 49300)
serve web "$WPORT" "$WEB" --config "$TMP/c.conf" --listen "127.0.0.1:$WPORT"
MPORT=$(free_port $((WPORT + 1)))
serve menu "$MPORT" "$MENU" --config "$TMP/c.conf" --listen "127.0.0.1:$MPORT"

rc=0
timeout 600 /usr/bin/python3 "$SRC/tests/web/browser-test.py" --url "https://127.0.0.1:$WPORT/" \
	--user admin --password-file "$TMP/pw" --iso "$TMP/lab-rescue.iso" --artefacts "$ART" \
	--menu-url "http://127.0.0.1:$MPORT/boot.ipxe" >"$TMP/browser.out" 2>&1 || rc=$?
cat "$TMP/browser.out"
check "the browser test passed every step (exit $rc)" test "$rc" = 0
check "it ran its steps" grep -q '^ok ' "$TMP/browser.out"
check "no step failed" bash -c "! grep -q '^not ok' '$TMP/browser.out'"
check "screenshots were kept in $ART" test -s "$ART/uploaded.png"
check "the page's upload is in the journal" grep -q "admin uploaded lab-rescue.iso" "$TMP/web.log"
check "and its delete" grep -q "admin deleted the ISO" "$TMP/web.log"
check "nothing is left in the ISO folder" test -z "$(ls -A "$TMP/iso")"
finish
