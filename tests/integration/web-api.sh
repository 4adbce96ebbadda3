#!/bin/bash
# isoboot-web's API with curl, over HTTPS on a free loopback port (--listen): the generated
# certificate and its logged fingerprint; authentication everywhere (401), wrong passwords
# (logged, then 429), the cookie session and its CSRF token (403 without), cross-site
# requests; names that must be refused; uploads compared by SHA-256, rename and move, refused bodies that leave
# nothing behind, an interrupted and a resumed upload, a full file system (507, a tmpfs the
# test mounts), two uploads of one name at once, replace and delete while clients read the ISO
# over HTTP (isoboot-menu) and iSCSI (isoboot-iscsi), and the menu seeing each change.
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
need_cmd curl openssl ss python3 xorriso
# shellcheck source=../lib/web.sh
. "$(dirname "$0")/../lib/web.sh"
STORM=$BUILD/tests/storm

MEMTEST=$(third_party_iso memtest86+x64.iso)
RESCUE=$(third_party_iso grub-rescue-cdrom.iso)
SMALL=$(built_iso small.iso)
mkdir -p "$TMP/iso" "$TMP/state"
write_config "$TMP/c.conf" "$TMP/iso" "$TMP/state" "[web]" "users = $TMP/users" \
	"assets = $SRC/assets/web" "[iscsi]" "max_connections_per_source = 64"
web_admin "$TMP/c.conf"
"$SCAN" --config "$TMP/c.conf" 2>/dev/null

WPORT=$(free_port 49100)
serve web "$WPORT" "$WEB" --config "$TMP/c.conf" --listen "127.0.0.1:$WPORT"
MPORT=$(free_port $((WPORT + 1)))
serve menu "$MPORT" "$MENU" --config "$TMP/c.conf" --listen "127.0.0.1:$MPORT"
IPORT=$(free_port $((MPORT + 1)))
serve iscsi "$IPORT" "$ISCSI" --config "$TMP/c.conf" --listen "127.0.0.1:$IPORT"
W=https://127.0.0.1:$WPORT
M=http://127.0.0.1:$MPORT
web_clients 60

# --- TLS: the generated certificate, and the fingerprint the journal gives for it.
served=$(openssl s_client -connect "127.0.0.1:$WPORT" </dev/null 2>/dev/null |
	openssl x509 -noout -fingerprint -sha256 | sed 's/.*=//')
check "a certificate was made in the state folder" test -s "$TMP/state/web-cert.pem"
check "its key is private (0600)" test "$(stat -c %a "$TMP/state/web-key.pem")" = 600
check "the logged SHA-256 fingerprint is the served certificate's ($served)" \
	grep -q "fingerprint $served" "$TMP/web.log"
check "TLS 1.1 is refused" \
	bash -c "! openssl s_client -connect 127.0.0.1:$WPORT -tls1_1 </dev/null >/dev/null 2>&1"
check "plain HTTP gets no page" bash -c "! curl -s --max-time 5 http://127.0.0.1:$WPORT/ | grep -qi html"

# --- Authentication.
for u in /api/isos /api/status /api/session /api/uploads/x.iso; do
	check "GET $u without credentials: 401" test "$(code "$W$u")" = 401
done
check "PUT without credentials: 401" test "$(code -T "$MEMTEST" "$W/api/isos/a.iso")" = 401
check "DELETE without credentials: 401" test "$(code -X DELETE "$W/api/isos/abc")" = 401
check "POST /api/logout without credentials: 401" test "$(code -X POST "$W/api/logout")" = 401
check "nothing was written by refused requests" test -z "$(ls -A "$TMP/iso")"
check "curl is told to use Basic" \
	bash -c "'${C[0]}' -sk -D - -o /dev/null '$W/api/isos' | grep -qi '^WWW-Authenticate: Basic'"
check "the page's own requests are not (no browser dialog)" bash -c \
	"! '${C[0]}' -sk -D - -o /dev/null -H 'Sec-Fetch-Mode: cors' '$W/api/isos' | grep -qi '^WWW-Authenticate'"
check "the page is served without an account" \
	bash -c "'${C[0]}' -sk '$W/' | grep -qi '<html'"
check "with its security headers" bash -c \
	"'${C[0]}' -sk -D - -o /dev/null '$W/' | grep -qi \"^Content-Security-Policy: default-src 'self'\""
check "the right password: 200" test "$(acode "$W/api/isos")" = 200
check "a wrong password: 401" test "$(code -u admin:wrong "$W/api/isos")" = 401
check "an unknown user: 401" test "$(code -u nobody:wrong "$W/api/isos")" = 401
for _ in $(seq 50); do grep -q "Failed login from 127.0.0.1 as 'admin'" "$TMP/web.log" && break; sleep 0.1; done
check "the failure is logged with the client and the user" \
	grep -q "Failed login from 127.0.0.1 as 'admin'" "$TMP/web.log"
# Guessing from another address: after a few failures each attempt must wait, longer and
# longer (a 429 while it must); six wrong passwords make it wait 8 s, so that even the right
# password is refused right after, however slow the machine.
wrong=0 throttled=0
for _ in $(seq 40); do
	case $(code --interface 127.0.0.2 -u admin:guess "$W/api/isos") in
	401) wrong=$((wrong + 1)) ;;
	429) throttled=$((throttled + 1)); sleep 1 ;;
	esac
	[ "$wrong" -ge 6 ] && break
done
check "guessing is slowed: $throttled refusals (429) while $wrong wrong passwords were tried" \
	test "$wrong" -ge 6 -a "$throttled" -ge 1
check "and then even the right password from 127.0.0.2 must wait: 429" \
	test "$(code --interface 127.0.0.2 -u "admin:$PASS" "$W/api/isos")" = 429
check "other addresses are not held up" test "$(acode "$W/api/isos")" = 200

# --- The cookie session and its CSRF token.
login=$("${C[@]}" -D "$TMP/login.h" -c "$TMP/jar" --data-urlencode user=admin \
	--data-urlencode "password=$PASS" "$W/api/login")
csrf=$(python3 -c 'import json, sys; print(json.loads(sys.argv[1])["csrf"])' "$login" 2>/dev/null || true)
check "login answers the user and a CSRF token" test -n "$csrf"
check "the cookie is HttpOnly, Secure, SameSite=Strict" \
	grep -qiE '^Set-Cookie: isoboot_session=[^;]+; Path=/; HttpOnly; Secure; SameSite=Strict' "$TMP/login.h"
check "wrong password at the form: 401" test "$(code --data 'user=admin&password=no' "$W/api/login")" = 401
check "the session works" test "$(code -b "$TMP/jar" "$W/api/session")" = 200
check "a PUT with the cookie but no CSRF token: 403" \
	test "$(code -b "$TMP/jar" -T "$MEMTEST" "$W/api/isos/memtest.iso")" = 403
check "a PUT with a wrong CSRF token: 403" \
	test "$(code -b "$TMP/jar" -H 'X-CSRF-Token: nope' -T "$MEMTEST" "$W/api/isos/memtest.iso")" = 403
check "a cross-site PUT with Basic: 403" \
	test "$(acode -H 'Sec-Fetch-Site: cross-site' -T "$MEMTEST" "$W/api/isos/memtest.iso")" = 403
check "a cross-site login: 403" test "$(code -H 'Origin: https://evil.example' \
	--data-urlencode user=admin --data-urlencode "password=$PASS" "$W/api/login")" = 403
check "none of them wrote anything" test -z "$(ls -A "$TMP/iso")"
check "a PUT with the cookie and the token: 201" \
	test "$(code -b "$TMP/jar" -H "X-CSRF-Token: $csrf" -T "$MEMTEST" "$W/api/isos/memtest.iso")" = 201
check "uploaded bytes are the file's (SHA-256)" \
	test "$(iso_sha256 "$TMP/iso/memtest.iso")" = "$(iso_sha256 "$MEMTEST")"
check "logout: 204" test "$(code -b "$TMP/jar" -H "X-CSRF-Token: $csrf" -X POST "$W/api/logout")" = 204
check "the session is over" test "$(code -b "$TMP/jar" "$W/api/session")" = 401

# --- Names.
for n in "..%2Fx.iso" "%2E%2E/x.iso" ".hidden.iso" "a/b/c.iso" "x.txt" "x%0A.iso" "x%1B.iso" \
	"g%5Cx.iso" ".g/x.iso" "x.iso%00" "%FF.iso" ".iso"; do
	check "upload name $n: 400" test "$(acode -T "$MEMTEST" "$W/api/isos/$n")" = 400
done
check "nothing of them is left" test "$(ls -A "$TMP/iso")" = memtest.iso

# --- Uploads: into a group, shown in the list and in the menu without a rescan by hand.
check "upload into a group: 201" test "$(acode -T "$RESCUE" "$W/api/isos/tools/rescue.iso")" = 201
check "the group's file has the uploaded bytes" \
	test "$(iso_sha256 "$TMP/iso/tools/rescue.iso")" = "$(iso_sha256 "$RESCUE")"
"${A[@]}" "$W/api/isos" >"$TMP/list.json"
check "the list has it, with its group, size and how each firmware boots it" python3 - "$TMP/list.json" "$(stat -c %s "$RESCUE")" <<'PY'
import json, sys
items = {i["path"]: i for i in json.load(open(sys.argv[1]))}
r = items["tools/rescue.iso"]
assert r["group"] == "tools" and r["size"] == int(sys.argv[2]) and r["id"], r
assert r["boot"]["bios"] == "iSCSI" and r["boot"]["uefi"] is None, r
assert set(("id", "path", "name", "size", "label", "added", "recipe")) <= set(r), r
PY
RID=$(python3 -c 'import json, sys; print([i["id"] for i in json.load(open(sys.argv[1])) if i["path"] == "tools/rescue.iso"][0])' "$TMP/list.json")
check "the menu offers it at once" bash -c "curl -s --max-time 10 '$M/boot.ipxe' | grep -q '$RID'"
# A Linux of a family with no recipe: the page says so beside how it boots.
bash "$SRC/tests/tools/mk-layout-iso.sh" gentoo "$TMP/gentoo.iso" || fail "mk-layout-iso.sh gentoo"
check "upload of a Linux of no known family: 201" \
	test "$(acode -T "$TMP/gentoo.iso" "$W/api/isos/tools/gentoo.iso")" = 201
"${A[@]}" "$W/api/isos" >"$TMP/list.json"
check "the list says its family is not recognised" python3 - "$TMP/list.json" <<'PY'
import json, sys
items = {i["path"]: i for i in json.load(open(sys.argv[1]))}
g = items["tools/gentoo.iso"]
assert g["boot"]["bios"] == "iSCSI (family not recognised)" and g["recipe"] is None, g
assert items["tools/rescue.iso"]["boot"]["bios"] == "iSCSI", items["tools/rescue.iso"]
PY
check "an existing name: 409" test "$(acode -T "$SMALL" "$W/api/isos/tools/rescue.iso")" = 409
check "and the ISO is untouched" \
	test "$(iso_sha256 "$TMP/iso/tools/rescue.iso")" = "$(iso_sha256 "$RESCUE")"
head -c 3000000 /dev/urandom >"$TMP/noise.bin"
check "a body that is not an ISO: 400" test "$(acode -T "$TMP/noise.bin" "$W/api/isos/noise.iso")" = 400
check "and nothing is left of it" test -z "$(find "$TMP/iso" -name '*noise*')"

# --- Resumable uploads: a part, the state, a wrong offset, the rest.
SIZE=$(stat -c %s "$SMALL")
HALF=$((SIZE / 2))
head -c "$HALF" "$SMALL" >"$TMP/part1"
tail -c +$((HALF + 1)) "$SMALL" >"$TMP/part2"
check "the first part: 202" test "$(acode -T "$TMP/part1" \
	-H "Content-Range: bytes 0-$((HALF - 1))/$SIZE" "$W/api/isos/lab/small.iso")" = 202
check "GET /api/uploads says how far it is" test "$("${A[@]}" "$W/api/uploads/lab/small.iso" |
	python3 -c 'import json, sys; print(json.load(sys.stdin)["offset"])')" = "$HALF"
check "not catalogued while partial" bash -c "! grep -q 'lab/small.iso' '$TMP/state/catalog'"
check "a part at the wrong offset: 409" test "$(acode -T "$TMP/part2" \
	-H "Content-Range: bytes $((HALF + 2048))-$((SIZE + 2047))/$((SIZE + 2048))" "$W/api/isos/lab/small.iso")" = 409
check "the rest: 201" test "$(acode -T "$TMP/part2" \
	-H "Content-Range: bytes $HALF-$((SIZE - 1))/$SIZE" "$W/api/isos/lab/small.iso")" = 201
check "the resumed upload has the file's bytes (SHA-256)" \
	test "$(iso_sha256 "$TMP/iso/lab/small.iso")" = "$(iso_sha256 "$SMALL")"
check "no hidden file is left" test -z "$(find "$TMP/iso" -name '.*')"

# An upload cut off (curl killed half-way) is continued from where it stopped.
"${A[@]}" -o /dev/null --limit-rate 2M -T "$SMALL" "$W/api/isos/cut.iso" &
cpid=$! # curl itself, so that the kill cuts the upload
sleep 2
kill "$cpid" 2>/dev/null
wait "$cpid" 2>/dev/null || true
# The server may still be writing what it had received: wait until the offset holds still.
off=0
prev=-1
for _ in $(seq 50); do
	off=$("${A[@]}" "$W/api/uploads/cut.iso" | python3 -c 'import json, sys; print(json.load(sys.stdin).get("offset", 0))' 2>/dev/null || echo 0)
	[ "$off" -gt 0 ] && [ "$off" = "$prev" ] && break
	prev=$off
	sleep 0.3
done
check "an interrupted upload kept its bytes ($off of $SIZE)" test "$off" -gt 0 -a "$off" -lt "$SIZE"
tail -c +$((off + 1)) "$SMALL" >"$TMP/rest"
check "resumed from there: 201" test "$(acode -T "$TMP/rest" \
	-H "Content-Range: bytes $off-$((SIZE - 1))/$SIZE" "$W/api/isos/cut.iso")" = 201
check "the resumed file is whole (SHA-256)" \
	test "$(iso_sha256 "$TMP/iso/cut.iso")" = "$(iso_sha256 "$SMALL")"

# --- Two uploads of one name at once: one wins, the other is told; the file is whole.
acode --limit-rate 3M -T "$SMALL" "$W/api/isos/twice.iso" >"$TMP/first.code" &
cpid=$!
sleep 1
second=$(acode -T "$RESCUE" "$W/api/isos/twice.iso")
wait "$cpid" || true
check "the second upload of a name in progress: 409" test "$second" = 409
check "the first: 201" test "$(cat "$TMP/first.code")" = 201
check "the file is the first upload's, whole" \
	test "$(iso_sha256 "$TMP/iso/twice.iso")" = "$(iso_sha256 "$SMALL")"

# --- A full file system: a 8 MiB tmpfs as a group folder.
if [ "$(id -u)" = 0 ] && mkdir -p "$TMP/iso/full" && mount -t tmpfs -o size=8m isoboot-test "$TMP/iso/full"; then
	MOUNTED=$TMP/iso/full
	check "a body larger than the free space: 507 at once" \
		test "$(acode -T "$SMALL" "$W/api/isos/full/small.iso")" = 507
	check "nothing is left behind" test -z "$(ls -A "$TMP/iso/full")"
	# Without Content-Length (chunked), the space runs out while writing.
	check "running out of space while writing: 507" test "$(acode -H 'Transfer-Encoding: chunked' \
		-T "$SMALL" "$W/api/isos/full/small.iso")" = 507
	check "nothing is left behind either" test -z "$(ls -A "$TMP/iso/full")"
	umount "$TMP/iso/full" && MOUNTED=
	rmdir "$TMP/iso/full"
else
	fail "cannot mount a tmpfs for the full file system case (needs root)"
fi

# --- Rename and move between groups.
LID=$(catalog_id_of "$TMP/state/catalog" lab/small.iso)
mv_code() { acode --data-urlencode "to=$2" "$W/api/isos/$1/move"; }
check "moving onto an existing ISO: 409" test "$(mv_code "$LID" cut.iso)" = 409
check "moving to a bad name: 400" test "$(mv_code "$LID" ../x.iso)" = 400
check "moving an unknown id: 404" test "$(mv_code nosuch-0123 x.iso)" = 404
check "move lab/small.iso to moved/renamed.iso: 200" test "$(mv_code "$LID" moved/renamed.iso)" = 200
check "the old name is gone" test ! -e "$TMP/iso/lab/small.iso"
check "the new one has the same bytes" \
	test "$(iso_sha256 "$TMP/iso/moved/renamed.iso")" = "$(iso_sha256 "$SMALL")"
check "the catalog has the new path" grep -qx 'path moved/renamed.iso' "$TMP/state/catalog"
MVID=$(catalog_id_of "$TMP/state/catalog" moved/renamed.iso)
check "the menu offers it under its new id" bash -c "curl -s --max-time 10 '$M/boot.ipxe' | grep -q '$MVID'"

# --- Replace and delete while clients read the ISO over HTTP and iSCSI.
"$SCAN" --config "$TMP/c.conf" 2>/dev/null
# A second name for the old ISO's inode: replacing must put a new file in place, never write
# into the one clients are reading.
ln "$TMP/iso/tools/rescue.iso" "$TMP/rescue.oldlink"
guard_isos "$TMP/rescue.oldlink"
cp "$TMP/iso/tools/rescue.iso" "$TMP/rescue.orig"
GID=$(catalog_id_of "$TMP/state/catalog" tools/rescue.iso)
IQN=$(catalog_field "$TMP/state/catalog" "$GID" iqn)
curl -s --max-time 60 --limit-rate 1M -o "$TMP/during.http" "$M/iso/$GID/rescue.iso" &
hpid=$!
storm_rc=0
if [ -x "$STORM" ]; then
	timeout 120 "$STORM" --iscsi "127.0.0.1:$IPORT" --sessions 4 --reads 1500 --max-read 4096 \
		"$TMP/rescue.orig,$IQN," >"$TMP/storm.out" 2>&1 &
	spid=$!
fi
sleep 1.5
check "replace while clients read: 201" test "$(acode -T "$SMALL" "$W/api/isos/tools/rescue.iso?replace=1")" = 201
check "the new ISO is in place" test "$(iso_sha256 "$TMP/iso/tools/rescue.iso")" = "$(iso_sha256 "$SMALL")"
"$SCAN" --config "$TMP/c.conf" 2>/dev/null
NID=$(catalog_id_of "$TMP/state/catalog" tools/rescue.iso)
check "delete: 204" test "$(acode -X DELETE "$W/api/isos/$NID")" = 204
check "the file is gone" test ! -e "$TMP/iso/tools/rescue.iso"
check "and so is its catalog entry" bash -c "! grep -q 'tools/rescue.iso' '$TMP/state/catalog'"
check "and its menu entry" bash -c "! curl -s --max-time 10 '$M/boot.ipxe' | grep -q '$NID'"
wait "$hpid" || true
check "the HTTP download begun before got the old ISO whole" cmp -s "$TMP/during.http" "$TMP/rescue.orig"
if [ -n "${spid:-}" ]; then
	wait "$spid" || storm_rc=$?
	sed 's/^/# /' "$TMP/storm.out"
	check "the iSCSI sessions begun before read the old ISO to the end, every byte right" \
		test "$storm_rc" = 0
fi
check "deleting an unknown id: 404" test "$(acode -X DELETE "$W/api/isos/nosuch-0123")" = 404

# --- An ISO's settings file (cut.iso.isoboot) as the list shows it: its name, hidden.
printf '[iso]\nname = Cut and resumed\nhidden = yes\n' >"$TMP/iso/cut.iso.isoboot"
"$SCAN" --config "$TMP/c.conf" 2>/dev/null
"${A[@]}" -o "$TMP/isos-hidden.json" "$W/api/isos"
check "the list gives the settings file's name and hidden: true" python3 -c '
import json, sys
isos = json.load(open(sys.argv[1]))
items = [i for i in isos if i["path"] == "cut.iso"]
assert items and items[0]["name"] == "Cut and resumed" and items[0]["hidden"] is True, items
assert all(i["hidden"] is False for i in isos if i["path"] != "cut.iso"), isos
' "$TMP/isos-hidden.json"
rm -f "$TMP/iso/cut.iso.isoboot"

# --- What interrupted uploads and fetches leave: a running fetch keeps uploads of its name out;
# an upload's hidden file older than [web] keep_interrupted (7 days) goes when the service starts,
# unless a request holds it; a fetch's goes at once; anything else stays.
# hold FILE: locks FILE as a request would, in a process whose PID is $! (the lock goes with it)
hold() { (exec 9>>"$1" && flock -x 9 && exec sleep 30) & }
hold "$TMP/iso/.busy.iso.fetch"
fpid=$!
for _ in $(seq 50); do [ -e "$TMP/iso/.busy.iso.fetch" ] && break; sleep 0.1; done
check "an upload of a name being fetched: 409" test "$(acode -T "$SMALL" "$W/api/isos/busy.iso")" = 409
check "and the fetch's file is untouched" test -e "$TMP/iso/.busy.iso.fetch" -a ! -e "$TMP/iso/busy.iso"
kill "$fpid" 2>/dev/null
wait "$fpid" 2>/dev/null || true
head -c 1048576 "$SMALL" >"$TMP/iso/.old.iso.upload"
head -c 4096 "$SMALL" >"$TMP/iso/lab/.gold.iso.upload"
head -c 4096 "$SMALL" >"$TMP/iso/.new.iso.upload"
head -c 4096 "$SMALL" >"$TMP/iso/.held.iso.upload"
: >"$TMP/iso/.notes"
touch -d '10 days ago' "$TMP/iso/.old.iso.upload" "$TMP/iso/lab/.gold.iso.upload" \
	"$TMP/iso/.held.iso.upload" "$TMP/iso/.notes"
touch -d '6 days ago' "$TMP/iso/.new.iso.upload"
hold "$TMP/iso/.held.iso.upload"
fpid=$!
sleep 0.5
W2PORT=$(free_port $((IPORT + 1)))
serve web2 "$W2PORT" "$WEB" --config "$TMP/c.conf" --listen "127.0.0.1:$W2PORT"
for _ in $(seq 100); do # the port is bound before the sweep: its end is this line
	grep -q 'Serving the admin page' "$TMP/web2.log" && break
	sleep 0.1
done
check "an upload interrupted 10 days ago is removed on start" test ! -e "$TMP/iso/.old.iso.upload"
check "so is one in a group" test ! -e "$TMP/iso/lab/.gold.iso.upload"
check "and what an interrupted fetch left" test ! -e "$TMP/iso/.busy.iso.fetch"
check "one interrupted 6 days ago is kept" test -e "$TMP/iso/.new.iso.upload"
check "one that a request holds is kept" test -e "$TMP/iso/.held.iso.upload"
check "other hidden files are not touched" test -e "$TMP/iso/.notes"
check "the removal is logged, with its age and size" \
	grep -q 'Removed .old.iso.upload: an upload interrupted 10 days ago, 1048576 bytes' "$TMP/web2.log"
kill "$fpid" 2>/dev/null
wait "$fpid" 2>/dev/null || true
rm -f "$TMP/iso/.new.iso.upload" "$TMP/iso/.held.iso.upload" "$TMP/iso/.notes"
check "the daemons are still running" kill -0 "${SERVED_PIDS[@]}"
finish
