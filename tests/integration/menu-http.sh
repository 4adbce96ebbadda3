#!/bin/bash
# isoboot-menu, started as its socket unit starts it (Accept=no, systemd-socket-activate), on a
# free loopback port: the menu for both firmwares, ISOs over HTTP with every Range edge case,
# a sparse image over 4 GiB, traversal attempts, 50 keep-alive clients, a catalog that changes
# under it, the access log, and a clean stop on SIGTERM.
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
need_cmd systemd-socket-activate curl ss cmp dd socat
MENU_PID=
# shellcheck disable=SC2317  # called from the EXIT trap
stop_menu() { [ -z "$MENU_PID" ] || kill "$MENU_PID" 2>/dev/null || true; }
trap 'stop_menu; cleanup_tmp' EXIT


mkdir -p "$TMP/iso/tools" "$TMP/state"
cp "$(third_party_iso memtest86+x64.iso)" "$TMP/iso/tools/"
cp --sparse=always "$(built_iso big.iso)" "$TMP/iso/big.iso"
head -c 20000 /dev/urandom > "$TMP/memdisk"
write_config "$TMP/c.conf" "$TMP/iso" "$TMP/state" "[menu]" "memdisk = $TMP/memdisk" \
	"title = Test menu" "default = big.iso" "timeout = 7"
"$SCAN" --config "$TMP/c.conf" 2>/dev/null
CAT=$TMP/state/catalog
MT=$(catalog_id_of "$CAT" tools/memtest86+x64.iso)
BIG=$(catalog_id_of "$CAT" big.iso)
{ [ -n "$MT" ] && [ -n "$BIG" ]; } || { echo "scan failed"; exit 1; }
guard_isos "$TMP/iso"

PORT=$(free_port 48300)
menu_start "$TMP/c.conf" "$PORT" "$TMP/log" || { cat "$TMP/log"; fail "isoboot-menu does not listen"; finish; }
B=http://127.0.0.1:$PORT
C=(curl -s --max-time 60)

# --- The menu -------------------------------------------------------------------------------
"${C[@]}" "$B/boot.ipxe" > "$TMP/menu"
check "the menu is an iPXE script" test "$(head -n1 "$TMP/menu")" = "#!ipxe"
# shellcheck disable=SC2016  # iPXE's ${platform}, literally
check "it branches on the platform" grep -qx 'iseq ${platform} efi && goto efi-menu ||' "$TMP/menu"
check "a BIOS menu with the title" grep -qx 'menu -- Test menu (BIOS)' "$TMP/menu"
check "a UEFI menu with the title" grep -qx 'menu -- Test menu (UEFI)' "$TMP/menu"
check "memtest on BIOS through memdisk" \
	grep -qx "kernel $B/boot/memdisk iso raw || goto failed" "$TMP/menu"
check "memtest as the memdisk initrd" \
	grep -qx "initrd $B/iso/$MT/memtest86%2Bx64.iso || goto failed" "$TMP/menu"
check "memtest on UEFI over iSCSI at the address we were reached on" \
	grep -qx "sanboot iscsi:127.0.0.1::::$(catalog_field "$CAT" "$MT" iqn) || goto failed" "$TMP/menu"
check "the group is a heading" grep -qx 'item --gap -- tools:' "$TMP/menu"
check "default and timeout" grep -qx "choose --default efi-$BIG --timeout 7000 isoboot-target || goto start" "$TMP/menu"
check "failures return to the menu" grep -qx 'prompt --timeout 10000 Press a key to return to the menu ||' "$TMP/menu"
check "/ is the menu too" cmp -s "$TMP/menu" <("${C[@]}" "$B/")
check "memdisk is served" cmp -s "$TMP/memdisk" <("${C[@]}" "$B/boot/memdisk")

# --- One ISO: HEAD and ranges ---------------------------------------------------------------
F=$TMP/iso/tools/memtest86+x64.iso
SIZE=$(stat -c %s "$F")
U=$B/iso/$MT/memtest86+x64.iso
"${C[@]}" -I "$U" > "$TMP/head"
hdr() { tr -d '\r' < "$TMP/head" | awk -v k="$1" 'BEGIN{IGNORECASE=1} index(tolower($0), tolower(k) ": ") == 1 { sub(/^[^:]*: /, ""); print }'; }
check "HEAD: 200" grep -q '^HTTP/1.1 200' "$TMP/head"
check "HEAD: Content-Length is the size" test "$(hdr Content-Length)" = "$SIZE"
check "HEAD: Accept-Ranges: bytes" test "$(hdr Accept-Ranges)" = bytes
ETAG=$(hdr ETag)
LM=$(hdr Last-Modified)
check "HEAD: a strong ETag" bash -c "[[ '$ETAG' == '\"$MT-'* ]]"
check "HEAD: Last-Modified" test -n "$LM"
check "GET: the whole file" cmp -s "$F" <("${C[@]}" "$U")

# range_check NAME CURL_RANGE_ARGS EXPECTED_STATUS SKIP COUNT: compares the body with dd.
range_check() {
	local name=$1 arg=$2 want=$3 skip=${4:-0} count=${5:-0} code
	code=$("${C[@]}" -o "$TMP/part" -w '%{http_code}' -H "Range: $arg" "$U")
	if [ "$code" != "$want" ]; then fail "$name: status $code, expected $want"; return; fi
	if [ "$want" = 206 ]; then
		dd if="$F" bs=1 skip="$skip" count="$count" status=none of="$TMP/want" 2>/dev/null ||
			dd if="$F" iflag=skip_bytes,count_bytes skip="$skip" count="$count" status=none of="$TMP/want"
		check "$name" cmp -s "$TMP/part" "$TMP/want"
	else
		pass "$name"
	fi
}
range_check "first byte" "bytes=0-0" 206 0 1
range_check "last byte" "bytes=$((SIZE - 1))-$((SIZE - 1))" 206 $((SIZE - 1)) 1
range_check "suffix of 100" "bytes=-100" 206 $((SIZE - 100)) 100
range_check "suffix longer than the file" "bytes=-$((SIZE * 2))" 206 0 "$SIZE"
range_check "open-ended" "bytes=$((SIZE - 4096))-" 206 $((SIZE - 4096)) 4096
range_check "last-pos past the end" "bytes=$((SIZE - 10))-$((SIZE + 1000))" 206 $((SIZE - 10)) 10
range_check "past the end" "bytes=$SIZE-" 416
range_check "suffix of 0" "bytes=-0" 416
range_check "malformed (5-1)" "bytes=5-1" 200
range_check "malformed (garbage)" "bytes=abc" 200
range_check "another unit" "pages=1-2" 200
range_check "several ranges" "bytes=0-1,10-20" 200
"${C[@]}" -D "$TMP/h416" -o /dev/null -H "Range: bytes=$SIZE-" "$U"
check "416 carries Content-Range: bytes */size" grep -q "^Content-Range: bytes \*/$SIZE" "$TMP/h416"
"${C[@]}" -D "$TMP/h206" -o /dev/null -r 10-19 "$U"
check "206 carries Content-Range" grep -q "^Content-Range: bytes 10-19/$SIZE" "$TMP/h206"
check "206: Content-Length 10" grep -q "^Content-Length: 10" "$TMP/h206"
"${C[@]}" -D "$TMP/h200" -o /dev/null -H "Range: bytes=5-1" "$U"
check "malformed Range: the whole length" grep -q "^Content-Length: $SIZE" "$TMP/h200"

# If-Range: a matching validator lets the range through, anything else gets the whole file.
code() { "${C[@]}" -o /dev/null -w '%{http_code}' "$@"; }
check "If-Range with the ETag: 206" test "$(code -r 0-9 -H "If-Range: $ETAG" "$U")" = 206
check "If-Range with another ETag: 200" test "$(code -r 0-9 -H 'If-Range: "other"' "$U")" = 200
check "If-Range with a weak ETag: 200" test "$(code -r 0-9 -H "If-Range: W/$ETAG" "$U")" = 200
check "If-Range with Last-Modified: 206" test "$(code -r 0-9 -H "If-Range: $LM" "$U")" = 206
check "If-Range with an older date: 200" \
	test "$(code -r 0-9 -H 'If-Range: Sun, 06 Nov 1994 08:49:37 GMT' "$U")" = 200

# --- Over 4 GiB -----------------------------------------------------------------------------
BF=$TMP/iso/big.iso
BSIZE=$(stat -c %s "$BF")
BU=$B/iso/$BIG/big.iso
check "big.iso is over 4 GiB" test "$BSIZE" -gt 4294967296
"${C[@]}" -I "$BU" > "$TMP/head"
check "big: Content-Length over 32 bits" test "$(hdr Content-Length)" = "$BSIZE"
big_check() { # NAME FIRST LAST
	local n=$(($3 - $2 + 1))
	"${C[@]}" -r "$2-$3" -o "$TMP/part" "$BU"
	dd if="$BF" iflag=skip_bytes,count_bytes skip="$2" count="$n" bs=64K status=none of="$TMP/want"
	check "big: $1" cmp -s "$TMP/part" "$TMP/want"
}
big_check "bytes past 4 GiB" $((4294967296 + 12345)) $((4294967296 + 12345 + 262143))
big_check "across the 4 GiB line" $((4294967296 - 1000)) $((4294967296 + 1000))
big_check "the last 64 KiB" $((BSIZE - 65536)) $((BSIZE - 1))
"${C[@]}" -D "$TMP/hbig" -o /dev/null -H "Range: bytes=-1" "$BU"
check "big: suffix range Content-Range" grep -q "^Content-Range: bytes $((BSIZE - 1))-$((BSIZE - 1))/$BSIZE" "$TMP/hbig"
check "big: past the end is 416" test "$(code -H "Range: bytes=$BSIZE-" "$BU")" = 416

# --- Hostile requests -----------------------------------------------------------------------
pa() { "${C[@]}" --path-as-is -o /dev/null -w '%{http_code}' "$@"; }
for u in "/iso/../../../etc/passwd" "/iso/$MT/../../etc/passwd" "/iso/%2e%2e/%2e%2e/etc/passwd" \
	"/iso/$MT/%2E%2E/x" "/iso/$MT%00/x" "/iso/$MT/x%00.iso" "/..%2f..%2fetc/passwd" \
	"//etc/passwd" "/iso/$MT/..%5c..%5cetc"; do
	check "traversal $u: 400" test "$(pa "$B$u")" = 400
done
for u in "/etc/passwd" "/iso/nosuchid" "/iso/${MT^^}" "/iso/tools" \
	"/state/catalog" "/catalog"; do
	check "not served $u: 404" test "$(pa "$B$u")" = 404
done
LONG=$(head -c 3000 /dev/zero | tr '\0' a)
check "overlong URL: refused" bash -c "[[ '$(pa "$B/iso/$MT/$LONG")' =~ ^(400|414)$ ]]"
HUGE=$(head -c 40000 /dev/zero | tr '\0' b)
check "a 40 kB header: refused" bash -c "[[ '$(pa -H "X-Big: $HUGE" "$U")' =~ ^(400|413|431|000)$ ]]"
check "POST: 405" test "$(code -X POST --data x "$B/boot.ipxe")" = 405
# RFC 9112 3.2: HTTP/1.1 needs Host; HTTP/1.0 does not.
host_less() { # VERSION: the status line of a GET without a Host header
	printf 'GET /boot.ipxe HTTP/%s\r\nConnection: close\r\n\r\n' "$1" |
		timeout 10 socat -t 5 - "TCP:127.0.0.1:$PORT" 2>/dev/null | head -n1 | tr -d '\r'
}
check "HTTP/1.1 without Host: 400" test "$(host_less 1.1)" = "HTTP/1.1 400 Bad Request"
check "HTTP/1.0 without Host: 200" test "$(host_less 1.0 | cut -d' ' -f2)" = 200
# A raw NUL in the request line (MHD hands on the URL cut at it): 400, not the file before it.
raw_status() { # REQUEST-TARGET (printf %b escapes): the status line of a GET of it
	printf 'GET %b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' "$1" |
		timeout 10 socat -t 5 - "TCP:127.0.0.1:$PORT" 2>/dev/null | head -n1 | tr -d '\r'
}
for t in "/iso/$MT/memtest86+x64.iso\\0.txt" "/boot.ipxe\\0" "/boot.ipxe?memsize\\0=1" \
	"/iso/$MT\\0/memtest86+x64.iso"; do
	check "raw NUL in $t: 400" test "$(raw_status "$t")" = "HTTP/1.1 400 Bad Request"
done
check "the same without the NUL: 200" \
	test "$(raw_status "/iso/$MT/memtest86+x64.iso")" = "HTTP/1.1 200 OK"
check "a query without a NUL: 200" test "$(raw_status "/boot.ipxe?memsize=512")" = "HTTP/1.1 200 OK"
# A POST whose body never comes: its access entry still names the client and the method.
printf 'POST /boot.ipxe HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n' |
	timeout 10 socat -t 1 - "TCP:127.0.0.1:$PORT" >/dev/null 2>&1 || true
for _ in $(seq 30); do grep -q "POST /boot.ipxe" "$TMP/log" && break; sleep 0.1; done
check "a POST without its body is logged with its client and method" \
	grep -q "127.0.0.1 POST /boot.ipxe.*closed before the end" "$TMP/log"
check "the server still answers" test "$(code "$B/boot.ipxe")" = 200

# --- 50 keep-alive clients at once ----------------------------------------------------------
for i in $(seq 1 50); do
	(
		# Three requests on one connection each; curl reuses it.
		timeout 60 curl -s -r "$i-$((i + 99))" -o "$TMP/ka$i.a" "$U" -o "$TMP/ka$i.b" "$U" \
			-o "$TMP/ka$i.c" "$B/boot.ipxe" -w '%{num_connects}\n' > "$TMP/ka$i.n" 2>&1
	) &
done
wait_clients() { local j; for j in $(jobs -p); do [ "$j" = "$MENU_PID" ] || wait "$j" || true; done; }
wait_clients
ok=0
for i in $(seq 1 50); do
	dd if="$F" iflag=skip_bytes,count_bytes skip="$i" count=100 status=none of="$TMP/kw"
	cmp -s "$TMP/ka$i.a" "$TMP/kw" && cmp -s "$TMP/ka$i.b" "$TMP/kw" && [ -s "$TMP/ka$i.c" ] &&
		ok=$((ok + 1))
done
check "50 concurrent clients all served ($ok)" test "$ok" = 50
conns=$(cat "$TMP"/ka*.n | awk '{ s += $1 } END { print s }')
check "keep-alive: one connection per client ($conns for 150 requests)" test "$conns" = 50

# --- The catalog changes under the server ---------------------------------------------------
cp "$(third_party_iso grub-rescue-cdrom.iso)" "$TMP/iso/"
guard_isos "$TMP/iso/grub-rescue-cdrom.iso"
"$SCAN" --config "$TMP/c.conf" 2>/dev/null
GR=$(catalog_id_of "$CAT" grub-rescue-cdrom.iso)
"${C[@]}" "$B/boot.ipxe" > "$TMP/menu2"
check "a new ISO is in the menu without a restart" grep -qx "item -- bios-$GR grub-rescue-cdrom" "$TMP/menu2"
check "grub-rescue is BIOS only on UEFI" grep -qx "item --gap -- grub-rescue-cdrom (BIOS only)" "$TMP/menu2"
check "and is served" test "$(code "$B/iso/$GR/x.iso")" = 200
guard_mv "$TMP/iso/tools/memtest86+x64.iso" "$TMP/removed.iso"
"$SCAN" --config "$TMP/c.conf" 2>/dev/null
check "a removed ISO leaves the menu" bash -c "! '${C[0]}' -s '$B/boot.ipxe' | grep -q '$MT'"
check "and is no longer served" test "$(code "$U")" = 404
mv "$CAT" "$TMP/catalog.saved"
check "no catalog: an empty menu" bash -c "'${C[0]}' -s '$B/boot.ipxe' | grep -qx 'item --gap -- No ISOs yet: put images in the ISO folder'"
mv "$TMP/catalog.saved" "$CAT"
check "the catalog is back" bash -c "'${C[0]}' -s '$B/boot.ipxe' | grep -q 'bios-$GR'"

# --- The access log and a clean stop --------------------------------------------------------
check "access: the menu" grep -q "127.0.0.1 GET menu: 200, [0-9]* bytes" "$TMP/log"
check "access: a range" grep -q "127.0.0.1 GET iso $MT bytes 0-0/$SIZE: 206, 1 bytes" "$TMP/log"
check "access: past 4 GiB" grep -q "GET iso $BIG bytes $((4294967296 + 12345))-$((4294967296 + 12345 + 262143))/$BSIZE: 206, 262144 bytes" "$TMP/log"
check "access: HEAD, no body" grep -q "127.0.0.1 HEAD iso $MT whole $SIZE: 200, 0 bytes" "$TMP/log"
check "access: 416" grep -q "GET iso $MT range bytes=$SIZE- unsatisfiable: 416, 0 bytes" "$TMP/log"
check "access: a traversal attempt" grep -q "GET /iso/../../../etc/passwd: 400" "$TMP/log"
check "the missing catalog was a warning" grep -q "does not exist (has isoboot-scan run?); the menu is empty" "$TMP/log"
kill "$MENU_PID"
rc=0
wait "$MENU_PID" || rc=$?
MENU_PID=
check "SIGTERM: exit status 0 ($rc)" test "$rc" = 0
check "SIGTERM: logged" grep -q "Stopping on signal 15" "$TMP/log"
check "no crash" bash -c "! grep -qiE 'sanitizer|segfault|core dumped|abort' '$TMP/log'"
finish
