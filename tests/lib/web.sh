# shellcheck shell=bash disable=SC2034  # the variables are for the tests that source this
# Helpers for the tests of isoboot-web over its API (web-api.sh, web-fetch.sh); sourced after
# common.sh. Skips the test when isoboot-web is not built.
[ -x "$WEB" ] || skip "isoboot-web is not built"

# MOUNTED: a file system the test mounted (a full tmpfs); the exit unmounts it, after
# served_stop stopped the servers.
MOUNTED=
# shellcheck disable=SC2317  # called from the EXIT trap
web_stop_all() {
	served_stop
	[ -z "$MOUNTED" ] || umount "$MOUNTED" 2>/dev/null || true
}
trap 'web_stop_all; cleanup_tmp' EXIT

# web_admin CONF: the user admin, with the password $PASS, in the users file of CONF.
PASS='correct horse battery'
web_admin() { printf '%s\n' "$PASS" | "$PASSWD" --config "$1" admin >/dev/null; }

# web_clients SECONDS: the curl commands of the test, each bounded to SECONDS, for HTTPS with the
# generated certificate: C (no credentials) and A (as admin).
# code ARG... / acode ARG...: the HTTP status of C's / A's request.
web_clients() {
	C=(curl -sk --max-time "$1")
	A=(curl -sk --max-time "$1" -u "admin:$PASS")
}
code() { "${C[@]}" -o /dev/null -w '%{http_code}' "$@"; }
acode() { "${A[@]}" -o /dev/null -w '%{http_code}' "$@"; }
