#!/bin/bash
# /iso/<id>/files/<path>: files from inside an ISO over HTTP, checked byte for byte against
# xorriso's own extraction (-osirrox) of the same files: every regular file of files.iso
# (Rock Ridge names with blanks and UTF-8, an empty file, a deep path), Joliet and plain
# ISO 9660 names, ranges inside and across the extent boundaries of a 4.5 GiB file of two
# extents, the whole of that file, a file that lies past 4 GiB in big.iso, HEAD and validators;
# and the refusals: symbolic links (inside and out), directories, missing files, traversal.
# Then the Secure Boot routes (SECURE BOOT in isoboot(7)): /sb/<id>/<path> (shim's "//", any
# case, grub.cfg as isoboot's), and /sbnext/<mac>/<id> with two small ISOs whose
# /EFI/BOOT/BOOTX64.EFI is a PE stub with and without a certificate table.
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
need_cmd systemd-socket-activate curl ss cmp xorriso python3

FILES=$(built_iso files.iso)
HUGE_SRC=$(built_iso files-huge.bin)
BIG=$(built_iso big.iso)
JOLIET=$(built_iso joliet.iso)
PLAIN=$(built_iso plain.iso)
mkdir -p "$TMP/iso" "$TMP/state"
for f in "$FILES" "$BIG" "$JOLIET" "$PLAIN"; do
	ln "$f" "$TMP/iso/" 2>/dev/null || cp --sparse=always "$f" "$TMP/iso/"
done
# Any write to an image changes its size or modification time (hashing 9 GiB twice would not say
# more); not ctime, which a new hard link to the cached image changes too.
stamps() { stat -c '%n %s %.9Y' "$TMP"/iso/{files,big,joliet,plain}.iso; }
stamps_before=$(stamps)
write_config "$TMP/c.conf" "$TMP/iso" "$TMP/state"
"$SCAN" --config "$TMP/c.conf" 2>/dev/null
guard_isos "$TMP/iso"
CAT=$TMP/state/catalog
ID=$(catalog_id_of "$CAT" files.iso)
BIGID=$(catalog_id_of "$CAT" big.iso)
JID=$(catalog_id_of "$CAT" joliet.iso)
PID_=$(catalog_id_of "$CAT" plain.iso)
{ [ -n "$ID" ] && [ -n "$BIGID" ] && [ -n "$JID" ] && [ -n "$PID_" ]; } || { echo "scan failed"; exit 1; }

PORT=$(free_port 48500)
menu_start "$TMP/c.conf" "$PORT" "$TMP/log" || { cat "$TMP/log"; fail "isoboot-menu does not listen"; finish; }
B=http://127.0.0.1:$PORT
C=(curl -s --max-time 120)
code() { "${C[@]}" -o /dev/null -w '%{http_code}' "$@"; }
# urlpath PATH: percent-encodes every byte but unreserved ones and '/'.
urlpath() {
	python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe="/"))' "$1"
}

# --- Every regular file of files.iso but the huge one, against xorriso's extraction.
X=$TMP/extract
xorriso -osirrox on:sparse=1m -indev "$FILES" -extract / "$X" >"$TMP/xorriso.log" 2>&1 ||
	{ cat "$TMP/xorriso.log"; fail "xorriso -osirrox"; finish; }
n=0
while IFS= read -r -d '' f; do
	rel=${f#"$X"/}
	[ "$rel" != huge.bin ] || continue
	n=$((n + 1))
	if "${C[@]}" -f "$B/iso/$ID/files/$(urlpath "$rel")" -o "$TMP/got" && cmp -s "$TMP/got" "$f"; then
		pass "files.iso:/$rel is the file xorriso extracts"
	else
		fail "files.iso:/$rel differs from xorriso's extraction"
	fi
done < <(find "$X" -type f -print0)
check "the tree had the expected files ($n)" test "$n" -ge 4

# --- Names as the other trees spell them.
check "Joliet names" test "$(code "$B/iso/$JID/files/docs/a-rather-long-file-name.txt")" = 200
xorriso -osirrox on -indev "$PLAIN" -extract /CASPER/VMLINUZ "$TMP/vmlinuz" >/dev/null 2>&1
check "plain ISO 9660 names, case folded" \
	cmp -s <("${C[@]}" "$B/iso/$PID_/files/casper/vmlinuz") "$TMP/vmlinuz"
check "Rock Ridge names are exact first, then folded" \
	test "$(code "$B/iso/$ID/files/DOCS/README.TXT")" = 200

# --- Refusals: never a symbolic link, a directory, or a path of the server's disk.
for p in link escape linkdir/readme.txt docs docs/ nothing docs/nothing deep/a; do
	check "404 for /$p" test "$(code "$B/iso/$ID/files/$p")" = 404
done
check "404 for an unknown ISO" test "$(code "$B/iso/nosuch-000000000000/files/docs/readme.txt")" = 404
for p in 'docs/%2e%2e/docs/readme.txt' 'docs/../../../etc/passwd' 'a%00b' 'docs%5creadme.txt'; do
	check "400 for /$p" test "$(code --path-as-is "$B/iso/$ID/files/$p")" = 400
done

# --- HEAD and validators of a file inside the ISO.
U=$B/iso/$ID/files/docs/readme.txt
"${C[@]}" -I "$U" | tr -d '\r' >"$TMP/head"
check "HEAD: 200 with the file's length" grep -qx "Content-Length: 123457" "$TMP/head"
ETAG=$(sed -n 's/^ETag: //Ip' "$TMP/head")
check "HEAD: a strong ETag naming the ISO" bash -c "[[ '$ETAG' == '\"$ID-'* ]]"
check "If-Range with the ETag keeps the range" \
	test "$(code -H "Range: bytes=0-9" -H "If-Range: $ETAG" "$U")" = 206
check "If-Range with another tag sends it whole" \
	test "$(code -H "Range: bytes=0-9" -H 'If-Range: "other"' "$U")" = 200
check "416 past the end" test "$(code -H "Range: bytes=123457-" "$U")" = 416

# --- The 4.5 GiB file of two extents: ranges against dd of the source, then all of it.
HU=$B/iso/$ID/files/huge.bin
HSIZE=$(stat -c %s "$HUGE_SRC")
ext=$((4294967296 - 2048)) # xorriso's extent size: 4 GiB - 2 KiB
range() { # NAME FIRST LAST
	"${C[@]}" -o "$TMP/part" -H "Range: bytes=$2-$3" "$HU"
	dd if="$HUGE_SRC" iflag=skip_bytes,count_bytes skip="$2" count=$(($3 - $2 + 1)) status=none \
		of="$TMP/want"
	check "huge.bin $1 ($2-$3)" cmp -s "$TMP/part" "$TMP/want"
}
range "start" 0 1048575
range "across the extent boundary" $((ext - 700000)) $((ext + 700000))
range "just before the boundary" $((ext - 1)) $((ext - 1))
range "just after the boundary" "$ext" "$ext"
range "the last byte" $((HSIZE - 1)) $((HSIZE - 1))
range "the last MiB" $((HSIZE - 1048576)) $((HSIZE - 1))
check "huge.bin: Content-Length is the whole file" \
	grep -qix "Content-Length: $HSIZE" <("${C[@]}" -I "$HU" | tr -d '\r')
check "huge.bin whole, byte for byte" cmp -s <("${C[@]}" --max-time 300 "$HU") "$HUGE_SRC"

# --- A file that lies past 4 GiB in the image (big.iso's /zzhigh/marker.txt).
check "big.iso:/zzhigh/marker.txt, past 4 GiB" cmp -s \
	<("${C[@]}" "$B/iso/$BIGID/files/zzhigh/marker.txt") "$CACHE/built/big.marker"

# --- Secure Boot: the ISO's files for its own loader, and the choice of that loader.
check "/sb/: a file as shim asks for it (\"//\")" \
	cmp -s <("${C[@]}" "$B/sb/$ID/docs//readme.txt") "$X/docs/readme.txt"
check "/sb/: names in any case" cmp -s <("${C[@]}" "$B/sb/$ID/DOCS/README.TXT") "$X/docs/readme.txt"
check "/sb/: traversal is 400" test "$(code --path-as-is "$B/sb/$ID/docs/../docs/readme.txt")" = 400
check "elsewhere \"//\" stays 400" test "$(code --path-as-is "$B/iso/$ID//files/docs/readme.txt")" = 400
check "/sb/: any grub.cfg is isoboot's (no recipe here: it says so)" \
	grep -qF "no way to boot this ISO" <("${C[@]}" "$B/sb/$ID/EFI/BOOT/GRUB.CFG")
check "/sb/: an unknown ISO's grub.cfg says so" \
	grep -qF "no longer in the catalog" <("${C[@]}" "$B/sb/nosuch-000000000000/grub.cfg")
# A PE32+ stub for x86-64 (what isoboot-scan and the menu read of a loader), signed or not.
for k in signed unsigned; do
	mkdir -p "$TMP/sb-$k/EFI/BOOT"
	python3 "$SRC/tests/tools/pe-stub.py" "$TMP/sb-$k/EFI/BOOT/BOOTX64.EFI" "$k"
	xorriso -as mkisofs -quiet -R -o "$TMP/iso/sb-$k.iso" "$TMP/sb-$k" >>"$TMP/xorriso.log" 2>&1 ||
		{ cat "$TMP/xorriso.log"; fail "xorriso: sb-$k.iso"; }
done
"$SCAN" --config "$TMP/c.conf" 2>/dev/null
SID=$(catalog_id_of "$CAT" sb-signed.iso)
UID_=$(catalog_id_of "$CAT" sb-unsigned.iso)
MAC=52:54:00:12:34:56
check "/sbnext/: an ISO with a signed loader: the client restarts" \
	grep -qx reboot <("${C[@]}" "$B/sbnext/$MAC/$SID")
check "  and the choice is in the state folder" grep -qx "$SID" "$TMP/state/sb-next/525400123456"
check "  and in the journal" grep -qF "Secure Boot: own loader of $SID for $MAC: the client restarts" "$TMP/log"
"${C[@]}" "$B/sbnext/52:54:00:12:34:57/$UID_" >"$TMP/unsigned.txt"
check "/sbnext/: an unsigned loader is refused, and GRUB says why" \
	grep -qF "BOOTX64.EFI is not signed" "$TMP/unsigned.txt"
check "  without a restart" bash -c "! grep -q reboot $TMP/unsigned.txt"
check "  and no choice" test ! -e "$TMP/state/sb-next/525400123457"
check "/sbnext/: an ISO without a loader is refused" \
	grep -qF "has no" <("${C[@]}" "$B/sbnext/52:54:00:12:34:58/$ID")
check "/sbnext/: a malformed MAC address is 404" test "$(code "$B/sbnext/52:54:00:12:34/$SID")" = 404
# A GRUB with a built-in prefix (a CD image's) asks outside /sb/<id>/: right after its client
# fetched from /sb/<id>/, the first configuration it reads there is that ISO's, then the menu's.
check "/boot/grub/grub.cfg is 404 for a client not just through /sb/" \
	test "$(code "$B/boot/grub/grub.cfg")" = 404
"${C[@]}" -o /dev/null "$B/sb/$SID/EFI/BOOT/BOOTX64.EFI"
"${C[@]}" -o /dev/null -I "$B/grub.cfg" # GRUB's HEAD before its GET reads nothing
check "  GET /grub.cfg right after /sb/ (and a HEAD): the ISO's configuration" \
	grep -qF "for the ISO $SID: its own signed GRUB" <("${C[@]}" "$B/grub.cfg")
check "  then GET /grub.cfg: the menu again" grep -qF "from the catalog" <("${C[@]}" "$B/grub.cfg")
"${C[@]}" -o /dev/null "$B/sb/$SID/EFI/BOOT/BOOTX64.EFI"
check "  GET /boot/grub/x86_64-efi/grub.cfg right after /sb/: the ISO's" \
	grep -qF "isoboot has no way to boot this ISO" <("${C[@]}" "$B/boot/grub/x86_64-efi/grub.cfg")
check "  and the access log says where" grep -qF "GET grub.cfg of $SID, for its GRUB, outside /sb/: 200" "$TMP/log"

# --- The access log names the ISO and the file; nothing was ever written.
check "the access log names files inside the ISO" \
	grep -q "GET file $ID/docs/readme.txt whole 123457: 200" "$TMP/log"
check "the ISOs were never written to" test "$(stamps)" = "$stamps_before"
finish
