#!/bin/bash
# isoboot-web's fetches from URLs and the ISOs' SHA-256, with curl over HTTPS on a free loopback
# port (--listen), against a plain HTTP server on loopback (a small Python server serving real
# ISOs, and the misbehaving answers: stalls, redirects to file://, huge lengths, chunked bodies).
# Fetches: the right and a wrong sha256, 404, not an ISO, ftp:// and file:// (400), a redirect to
# file:// (refused), an existing name (409), a password in the URL (never logged), a stalled
# server (ISOBOOT_FETCH_STALL_SECONDS, the test-only setting), more than 4 at once (429), a
# length larger than the free space and a full file system (tmpfs, root), authentication (401)
# and the CSRF token (403), and a stop while a fetch runs. Nothing is left behind by a failure.
# Checksums: every ISO's SHA-256 in GET /api/isos within a bounded wait, kept across a restart
# in <state_dir>/checksums and not computed again.
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
need_cmd curl ss python3 openssl
# shellcheck source=../lib/web.sh
. "$(dirname "$0")/../lib/web.sh"

RESCUE=$(third_party_iso grub-rescue-cdrom.iso)
SMALL=$(built_iso small.iso)
PLAIN=$(built_iso plain.iso)
mkdir -p "$TMP/iso" "$TMP/state" "$TMP/www"
cp "$RESCUE" "$TMP/www/rescue.iso"
cp "$SMALL" "$TMP/www/small.iso"
cp "$PLAIN" "$TMP/iso/plain.iso" # in the folder from the start: hashed in the background
head -c 3000000 /dev/urandom >"$TMP/www/noise.iso"
guard_isos "$TMP/www"
write_config "$TMP/c.conf" "$TMP/iso" "$TMP/state" "[web]" "users = $TMP/users" \
	"assets = $SRC/assets/web"
web_admin "$TMP/c.conf"
"$SCAN" --config "$TMP/c.conf" 2>/dev/null

# The HTTP server the ISOs are fetched from: the files of www, and a few answers no good server
# gives. Basic credentials user:sekrit-pw are required under /private/.
cat >"$TMP/serve.py" <<'PY'
import base64, http.server, os, ssl, sys, time

port, root = int(sys.argv[1]), sys.argv[2]
pem = sys.argv[3] if len(sys.argv) > 3 else None  # HTTPS with this certificate and key

class H(http.server.SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def __init__(self, *a, **kw):
        super().__init__(*a, directory=root, **kw)

    def log_message(self, fmt, *args):
        sys.stderr.write("serve: " + (fmt % args) + "\n")

    def head(self, code, length=None, extra=()):
        self.send_response(code)
        self.send_header("Content-Type", "application/octet-stream")
        if length is not None:
            self.send_header("Content-Length", str(length))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.flush()

    def do_GET(self):
        p = self.path
        try:
            if p == "/stall.iso":  # headers, then nothing
                self.head(200, 50 << 20)
                time.sleep(120)
            elif p == "/slow.iso":  # 4 KiB a second: slow, but not stalled
                self.head(200, 50 << 20)
                for _ in range(120):
                    self.wfile.write(b"\0" * 4096)
                    self.wfile.flush()
                    time.sleep(1)
            elif p == "/huge.iso":  # a petabyte announced
                self.head(200, 1 << 50)
                time.sleep(30)
            elif p == "/to-file.iso":
                self.head(302, 0, [("Location", "file:///etc/passwd")])
            elif p == "/to-small.iso":
                self.head(302, 0, [("Location", "/small.iso")])
            elif p.startswith("/chunked/"):  # no Content-Length: the space runs out while writing
                data = open(os.path.join(root, p[len("/chunked/"):]), "rb").read()
                self.send_response(200)
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                for i in range(0, len(data), 65536):
                    c = data[i:i + 65536]
                    self.wfile.write(b"%x\r\n" % len(c) + c + b"\r\n")
                self.wfile.write(b"0\r\n\r\n")
            elif p.startswith("/private/"):
                want = "Basic " + base64.b64encode(b"user:sekrit-pw").decode()
                if self.headers.get("Authorization") != want:
                    self.head(401, 0, [("WWW-Authenticate", 'Basic realm="x"')])
                    return
                self.path = p[len("/private"):]
                super().do_GET()
            else:
                super().do_GET()
        except (BrokenPipeError, ConnectionResetError):
            pass

class S(http.server.ThreadingHTTPServer):
    daemon_threads = True

srv = S(("127.0.0.1", port), H)
if pem:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(pem)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
srv.serve_forever()
PY

HPORT=$(free_port 49300)
serve http "$HPORT" python3 "$TMP/serve.py" "$HPORT" "$TMP/www"
HTTP_PID=$LAST_PID
H=http://127.0.0.1:$HPORT
# The same over HTTPS, with a self-signed certificate no authority vouches for.
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
	-addext subjectAltName=IP:127.0.0.1 -keyout "$TMP/self.pem" -out "$TMP/self.crt" 2>/dev/null
cat "$TMP/self.crt" >>"$TMP/self.pem"
SPORT=$(free_port $((HPORT + 1)))
serve https "$SPORT" python3 "$TMP/serve.py" "$SPORT" "$TMP/www" "$TMP/self.pem"
WPORT=$(free_port $((SPORT + 1)))
start_web() {
	serve web "$WPORT" env ISOBOOT_FETCH_STALL_SECONDS=3 \
		"$WEB" --config "$TMP/c.conf" --listen "127.0.0.1:$WPORT"
	WEB_PID=$LAST_PID
}
start_web
W=https://127.0.0.1:$WPORT
web_clients 30
# fetch URL PATH [more form fields]: POST /api/fetch; prints the status, keeps the body in $TMP/f.json
fetch() {
	local url=$1 path=$2
	shift 2
	"${A[@]}" -o "$TMP/f.json" -w '%{http_code}' --data-urlencode "url=$url" \
		--data-urlencode "path=$path" "$@" "$W/api/fetch"
}
job_id() { python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["job"])' "$TMP/f.json"; }
# job ID KEY: a field of a job in GET /api/jobs ("None" for null)
job() {
	"${A[@]}" "$W/api/jobs" | python3 -c '
import json, sys
for j in json.load(sys.stdin):
    if j["id"] == int(sys.argv[1]):
        print(j[sys.argv[2]])' "$1" "$2"
}
# wait_job ID [SECONDS]: until the job is no longer running; prints its state
wait_job() {
	local s=running
	for _ in $(seq $((${2:-30} * 5))); do
		s=$(job "$1" state)
		[ "$s" = running ] || break
		sleep 0.2
	done
	echo "$s"
}
# shellcheck disable=SC2317  # run through check
leftovers() { # no hidden file anywhere in the ISO folder (those found are printed)
	local found
	found=$(find "$TMP/iso" -name '.*')
	[ -z "$found" ] || { printf '# left: %s\n' "$found"; return 1; }
}
# iso_field PATH KEY: a field of an ISO in GET /api/isos
iso_field() {
	"${A[@]}" "$W/api/isos" | python3 -c '
import json, sys
for i in json.load(sys.stdin):
    if i["path"] == sys.argv[1]:
        print(i[sys.argv[2]])' "$1" "$2"
}
# wait_sha PATH SECONDS: until GET /api/isos has the SHA-256 of PATH; prints it
wait_sha() {
	local s=None
	for _ in $(seq $(($2 * 5))); do
		s=$(iso_field "$1" sha256)
		[ -z "$s" ] || [ "$s" = None ] || break
		sleep 0.2
	done
	echo "$s"
}

# --- Authentication and the CSRF token.
check "POST /api/fetch without credentials: 401" \
	test "$(code --data-urlencode "url=$H/small.iso" --data path=a.iso "$W/api/fetch")" = 401
check "GET /api/jobs without credentials: 401" test "$(code "$W/api/jobs")" = 401
login=$("${C[@]}" -c "$TMP/jar" --data-urlencode user=admin --data-urlencode "password=$PASS" "$W/api/login")
csrf=$(python3 -c 'import json, sys; print(json.loads(sys.argv[1])["csrf"])' "$login" 2>/dev/null || true)
check "a fetch with the session cookie but no CSRF token: 403" test "$(code -b "$TMP/jar" \
	--data-urlencode "url=$H/small.iso" --data path=a.iso "$W/api/fetch")" = 403
check "a cross-site fetch with Basic: 403" test "$(acode -H 'Sec-Fetch-Site: cross-site' \
	--data-urlencode "url=$H/small.iso" --data path=a.iso "$W/api/fetch")" = 403
check "nothing was fetched by the refused requests" test "$("${A[@]}" "$W/api/jobs")" = "[]"

# --- Refused at once: 400 and 409.
for u in "ftp://127.0.0.1:$HPORT/small.iso" "file:///etc/passwd" "gopher://127.0.0.1/x.iso" \
	"$H/a b.iso" "127.0.0.1:$HPORT/small.iso" "http:///small.iso" "https://" "not a url"; do
	check "url $u: 400" test "$(fetch "$u" x.iso)" = 400
done
for p in "../x.iso" ".hidden.iso" "a/b/c.iso" "x.txt" "g/.x.iso" ""; do
	check "path '$p': 400" test "$(fetch "$H/small.iso" "$p")" = 400
done
check "a sha256 of 63 digits: 400" test "$(fetch "$H/small.iso" x.iso --data sha256="$(printf '%063d' 0)")" = 400
check "a sha256 that is not hex: 400" test "$(fetch "$H/small.iso" x.iso --data sha256="$(printf 'g%063d' 0)")" = 400
check "a form without a url: 400" test "$(acode --data path=x.iso "$W/api/fetch")" = 400
check "an existing name without replace: 409" test "$(fetch "$H/small.iso" plain.iso)" = 409
check "nothing was started" test "$("${A[@]}" "$W/api/jobs")" = "[]"
check "nor written" test "$(ls -A "$TMP/iso")" = plain.iso

# --- A fetch with the right SHA-256, into a group, with the cookie session and its token.
SUM=$(iso_sha256 "$SMALL")
check "a fetch with the cookie and the token: 202" test "$("${C[@]}" -b "$TMP/jar" -H "X-CSRF-Token: $csrf" \
	-o "$TMP/f.json" -w '%{http_code}' --data-urlencode "url=$H/small.iso" --data path=lab/small.iso \
	--data "sha256= ${SUM^^} " "$W/api/fetch")" = 202
id=$(job_id)
check "the answer names the job, the URL and the path" python3 - "$TMP/f.json" "$H/small.iso" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
assert j["job"] >= 1 and j["url"] == sys.argv[2] and j["path"] == "lab/small.iso", j
PY
check "the job is done" test "$(wait_job "$id")" = "done"
"${A[@]}" "$W/api/jobs" >"$TMP/jobs.json"
check "the job lists its bytes, total, SHA-256 and no error" python3 - "$TMP/jobs.json" "$id" \
	"$(stat -c %s "$SMALL")" "$SUM" <<'PY'
import json, sys
j = [j for j in json.load(open(sys.argv[1])) if j["id"] == int(sys.argv[2])][0]
size, s = int(sys.argv[3]), sys.argv[4]
assert j["kind"] == "fetch" and j["state"] == "done" and j["error"] is None, j
assert j["bytes"] == size and j["total"] == size, j
assert j["sha256"] == s and j["received_sha256"] == s and j["path"] == "lab/small.iso", j
PY
check "the fetched file has the source's bytes (SHA-256)" test "$(iso_sha256 "$TMP/iso/lab/small.iso")" = "$SUM"
check "it is listed in /api/isos" test "$(iso_field lab/small.iso path)" = lab/small.iso
check "with its SHA-256 within 60 s" test "$(wait_sha lab/small.iso 60)" = "$SUM"
check "no hidden file is left" leftovers
check "the fetch is logged (a notice with the user and the URL)" \
	grep -q "admin fetched lab/small.iso from $H/small.iso" "$TMP/web.log"

# --- The ISO that was in the folder from the start: hashed in the background.
check "an ISO copied in by hand gets its SHA-256 within 60 s" \
	test "$(wait_sha plain.iso 60)" = "$(iso_sha256 "$TMP/iso/plain.iso")"

# --- A redirect over http is followed; without a sha256 the job still reports what it got.
check "a fetch through a redirect: 202" test "$(fetch "$H/to-small.iso" redirected.iso)" = 202
id=$(job_id)
check "it is done" test "$(wait_job "$id")" = "done"
check "with the bytes of the redirect's target" test "$(iso_sha256 "$TMP/iso/redirected.iso")" = "$SUM"
check "and the SHA-256 received" test "$(job "$id" received_sha256)" = "$SUM"

# --- Failures: each leaves nothing behind and says why.
failed() { # DESCRIPTION URL PATH PATTERN [form fields]: a fetch that must fail with PATTERN
	local what=$1 url=$2 path=$3 pattern=$4 st err
	shift 4
	if [ "$(fetch "$url" "$path" "$@")" != 202 ]; then
		fail "$what: not accepted ($(cat "$TMP/f.json"))"
		return
	fi
	local id
	id=$(job_id)
	st=$(wait_job "$id" 30)
	err=$(job "$id" error)
	check "$what: failed ($err)" test "$st" = failed
	check "$what: the error says '$pattern'" grep -qi -- "$pattern" <<<"$err"
	check "$what: nothing is left" test ! -e "$TMP/iso/$path"
	check "$what: no hidden file is left" test ! -e "$(dirname "$TMP/iso/$path")/.$(basename "$path").fetch"
}
failed "a wrong sha256" "$H/rescue.iso" wrong.iso "checksum mismatch" --data "sha256=$SUM"
failed "a 404" "$H/nosuch.iso" nosuch.iso "HTTP status 404"
failed "not an ISO" "$H/noise.iso" noise.iso "not an ISO image"
failed "a redirect to file://" "$H/to-file.iso" tofile.iso "refused"
failed "a stalled server (headers, then nothing; 3 s for the test)" "$H/stall.iso" stall.iso "stalled"
failed "a length larger than the free space" "$H/huge.iso" huge.iso "no space"
failed "an https server whose certificate no authority signed" "https://127.0.0.1:$SPORT/small.iso" \
	selfsigned.iso "certificate"
failed "wrong credentials in the URL" "http://user:wrong-pw@127.0.0.1:$HPORT/private/small.iso" \
	private1.iso "HTTP status 401"
check "the password of a URL is never logged" bash -c "! grep -q 'wrong-pw' '$TMP/web.log'"
check "nor listed" bash -c "! '${A[0]}' -sk -u 'admin:$PASS' '$W/api/jobs' | grep -q 'wrong-pw'"
check "a fetch with credentials in the URL: 202" \
	test "$(fetch "http://user:sekrit-pw@127.0.0.1:$HPORT/private/small.iso" private.iso)" = 202
id=$(job_id)
check "it is done" test "$(wait_job "$id")" = "done"
check "its URL is listed without the password" test "$(job "$id" url)" = "http://127.0.0.1:$HPORT/private/small.iso"
check "the password is not in the journal lines" bash -c "! grep -q 'sekrit' '$TMP/web.log'"

# --- Replace, and a second fetch of a name in progress.
check "replace=1 over an existing ISO: 202" test "$(fetch "$H/rescue.iso" private.iso --data replace=1)" = 202
id=$(job_id)
check "it is done" test "$(wait_job "$id")" = "done"
check "the ISO is replaced" test "$(iso_sha256 "$TMP/iso/private.iso")" = "$(iso_sha256 "$RESCUE")"
check "a slow fetch: 202" test "$(fetch "$H/slow.iso" busy.iso)" = 202
slow=$(job_id)
check "a second fetch of the same name while it runs: 409" test "$(fetch "$H/small.iso" busy.iso)" = 409
check "the first one is still running" test "$(job "$slow" state)" = running

# --- At most 4 at once: 3 more stalled ones, then the 5th is refused.
for n in 1 2 3; do
	check "stalled fetch $n: 202" test "$(fetch "$H/stall.iso" "stall$n.iso")" = 202
done
check "a 5th fetch at once: 429" test "$(fetch "$H/small.iso" fifth.iso)" = 429
sleep 5
check "the stalled ones failed" bash -c "'${A[0]}' -sk -u 'admin:$PASS' '$W/api/jobs' |
	python3 -c 'import json, sys; j = [j for j in json.load(sys.stdin) if j[\"path\"].startswith(\"stall\")]; assert len(j) == 4 and all(x[\"state\"] == \"failed\" for x in j), j'"
bytes=$(job "$slow" bytes)
check "the slow one is still running, with progress ($bytes bytes)" \
	test "$(job "$slow" state)" = running -a "$bytes" -gt 0
check "a fetch is accepted again: 202" test "$(fetch "$H/small.iso" again.iso)" = 202
check "and done" test "$(wait_job "$(job_id)")" = "done"

# --- A full file system: a 8 MiB tmpfs as a group folder, the ISO sent without a length.
if [ "$(id -u)" = 0 ] && mkdir -p "$TMP/iso/full" && mount -t tmpfs -o size=8m isoboot-test "$TMP/iso/full"; then
	MOUNTED=$TMP/iso/full
	failed "a length larger than the tmpfs" "$H/small.iso" full/small.iso "no space"
	failed "running out of space while writing" "$H/chunked/small.iso" full/chunked.iso "no space left"
	check "the tmpfs is empty" test -z "$(ls -A "$TMP/iso/full")"
	umount "$TMP/iso/full" && MOUNTED=
	rmdir "$TMP/iso/full"
else
	fail "cannot mount a tmpfs for the full file system case (needs root)"
fi

# --- Every ISO's SHA-256, then a restart: from the file, not computed again.
for p in private.iso redirected.iso again.iso; do
	check "$p has its SHA-256 in the list" test "$(wait_sha "$p" 60)" = "$(iso_sha256 "$TMP/iso/$p")"
done
"${A[@]}" "$W/api/isos" >"$TMP/before.json"

# --- A stop while a fetch runs: it is cancelled, its hidden file removed, the service ends.
check "the slow fetch still runs before the stop" test "$(job "$slow" state)" = running
kill -TERM "$WEB_PID"
t0=$(date +%s)
for _ in $(seq 100); do kill -0 "$WEB_PID" 2>/dev/null || break; sleep 0.1; done
check "isoboot-web stopped within 10 s of SIGTERM with a fetch running" bash -c "! kill -0 $WEB_PID 2>/dev/null"
wait "$WEB_PID" 2>/dev/null && rc=0 || rc=$?
check "it exited 0 (rc $rc, $(($(date +%s) - t0)) s)" test "$rc" = 0
check "the cancelled fetch is logged" grep -q "busy.iso.*cancelled" "$TMP/web.log"
check "and left nothing behind" leftovers
check "the checksums file holds a line per ISO" \
	test "$(grep -c '^[0-9a-f]\{64\} ' "$TMP/state/checksums")" = "$(find "$TMP/iso" -name '*.iso' | wc -l)"
lines_before=$(grep -c "SHA-256 of " "$TMP/web.log" || true)
start_web
"${A[@]}" "$W/api/isos" >"$TMP/after.json"
check "after a restart, every SHA-256 is known at once" python3 - "$TMP/before.json" "$TMP/after.json" <<'PY'
import json, sys
b = {i["path"]: i["sha256"] for i in json.load(open(sys.argv[1]))}
a = {i["path"]: i["sha256"] for i in json.load(open(sys.argv[2]))}
assert b == a and all(a.values()), (b, a)
PY
sleep 2
check "and none was computed again" test "$(grep -c "SHA-256 of " "$TMP/web.log" || true)" = "$lines_before"
# A file changed behind the service's back loses its SHA-256 until it is computed again, on the
# next look at the catalog: after a rescan of the service's own (a delete here).
printf 'x' | dd of="$TMP/iso/again.iso" bs=1 seek=40000 conv=notrunc status=none
check "a changed ISO no longer shows the old SHA-256" \
	test "$(iso_field again.iso sha256)" != "$(python3 -c 'import json, sys; print([i["sha256"] for i in json.load(open(sys.argv[1])) if i["path"] == "again.iso"][0])' "$TMP/after.json")"
check "a delete (and its rescan): 204" \
	test "$(acode -X DELETE "$W/api/isos/$(iso_field redirected.iso id)")" = 204
check "the changed ISO gets its new SHA-256" \
	test "$(wait_sha again.iso 30)" = "$(iso_sha256 "$TMP/iso/again.iso")"
check "the servers are still running" kill -0 "$HTTP_PID" "$WEB_PID"
kill -TERM "$WEB_PID"
wait "$WEB_PID" 2>/dev/null && rc=0 || rc=$?
check "isoboot-web stopped cleanly (rc $rc)" test "$rc" = 0
# With a sanitizer build (ISOBOOT_BUILD=...), its reports land in the log.
check "no sanitizer report in isoboot-web's log" \
	bash -c "! grep -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' '$TMP/web.log'"
finish
