#!/bin/bash
# isoboot-passwd as a program: the password from standard input and from a terminal (typed twice,
# not echoed, through a pseudo-terminal), what the accounts file looks like afterwards (checked
# with crypt(3) through perl), and every refusal with its exit status and message.
# shellcheck disable=SC2016  # hashes and patterns hold a literal '$'
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
need_cmd perl python3
PASSWD=$BUILD/src/web/isoboot-passwd
[ -x "$PASSWD" ] || { fail "$PASSWD not built"; finish; }
U=$TMP/users

# run [ARGS...]: runs isoboot-passwd with stdin from $IN; sets RC, OUT and ERR.
IN=/dev/null
run() {
	RC=0
	"$PASSWD" "$@" < "$IN" > "$TMP/out" 2> "$TMP/err" || RC=$?
	OUT=$(cat "$TMP/out")
	ERR=$(cat "$TMP/err")
}

# expect DESCRIPTION RC NEEDLE: the last run exited RC and said NEEDLE (on stdout or stderr).
expect() {
	check "$1: exit $2 (got $RC)" test "$RC" = "$2"
	check "$1: says '$3'" grep -q -F -- "$3" <<< "$OUT$ERR"
	{ [ "$RC" = "$2" ] && grep -q -F -- "$3" <<< "$OUT$ERR"; } || printf '%s\n' "$OUT$ERR" | sed 's/^/# /'
}

# password_ok FILE USER PASSWORD: crypt(3) of PASSWORD with USER's hash gives that hash.
# shellcheck disable=SC2317  # called through check
password_ok() {
	local hash
	hash=$(awk -F: -v u="$2" '$1 == u { print $2 }' "$1")
	[ -n "$hash" ] && perl -e 'exit(crypt($ARGV[0], $ARGV[1]) eq $ARGV[1] ? 0 : 1)' "$3" "$hash"
}

# shellcheck disable=SC2317  # called through check
not() { ! "$@"; }

pw_from() { printf '%s' "$1" > "$TMP/in"; IN=$TMP/in; }

run --help
expect "--help" 0 "Usage: isoboot-passwd [--config FILE] [--users FILE] USER"
check "--version prints the version" grep -q '^isoboot-passwd [0-9]' <("$PASSWD" --version)

# From standard input: created, one yescrypt line, mode 0640.
pw_from $'first secret\n'
run --users "$U" admin
expect "new account from stdin" 0 "isoboot-passwd: account admin saved in $U"
check "the success line is on stdout" test "$OUT" = "isoboot-passwd: account admin saved in $U"
check "the file holds one yescrypt line" grep -qx 'admin:\$y\$[./0-9A-Za-z]*\$[./0-9A-Za-z]*\$[./0-9A-Za-z]*' "$U"
check "and nothing else" test "$(wc -l < "$U")" = 1
check "mode 0640" test "$(stat -c %a "$U")" = 640
check "crypt(3) accepts the password" password_ok "$U" admin "first secret"
check "and not another" not password_ok "$U" admin "first secre"
check "the password is not in the file" not grep -q 'first secret' "$U"

# A second run replaces the hash, keeping comments, blank lines and other accounts in place.
{
	echo "# isoboot admin page"
	echo
	cat "$U"
	echo "  # the backup operator"
	echo 'bob:$6$saltsalt$TVLlQcbpFVof5W3Yz4DTP6gRstiNuHwwTt6GLc1E5n0U0aDehy0S5knV8wiOQSpT0Y77vwPZN.Pq.H91p5hVO1'
} > "$TMP/users.new"
mv "$TMP/users.new" "$U"
old_hash=$(grep '^admin:' "$U")
pw_from $'  second secret with spaces \n'
run --users "$U" admin
expect "second run" 0 "account admin saved in $U"
check "one admin line still" test "$(grep -c '^admin:' "$U")" = 1
check "the hash changed" test "$(grep '^admin:' "$U")" != "$old_hash"
check "the new password works, blanks included" password_ok "$U" admin "  second secret with spaces "
check "the old one no longer" not password_ok "$U" admin "first secret"
check "comments, blank line and order kept" test "$(sed -n '1p;2p;4p' "$U" | tr '\n' '|')" = "# isoboot admin page||  # the backup operator|"
check "the other account is untouched" password_ok "$U" bob secret
check "line 3 is admin's" grep -q '^admin:' <(sed -n 3p "$U")
pw_from 'carol password'
run --users "$U" carol.ops
expect "no trailing newline on stdin, a new account" 0 "account carol.ops saved"
check "the new account is appended" grep -q '^carol\.ops:\$y\$' <(tail -1 "$U")
check "its password works" password_ok "$U" carol.ops "carol password"
check "still mode 0640" test "$(stat -c %a "$U")" = 640
check "no temporary file left" test -z "$(find "$TMP" -maxdepth 1 -name '*.tmp.*')"

# Refusals. None of them changes the file.
cp "$U" "$TMP/users.before"
pw_from $'x\n'
run --users "$U" admin hunter2
expect "password as an argument" 2 "never taken from the command line"
run --users "$U"
expect "no user" 2 "Usage:"
run --users "$U" --password x admin
expect "unknown option" 2 "Usage:"
run --users "$U" .admin
expect "user starting with a dot" 2 "Invalid user name '.admin'"
run --users "$U" abcdefghijklmnopqrstuvwxyz0123456
expect "user of 33 characters" 2 "Invalid user name"
run --users "$U" 'a:b'
expect "user with a colon" 2 "Invalid user name"
IN=/dev/null
run --users "$U" admin
expect "empty standard input" 1 "Empty password refused"
pw_from $'\n'
run --users "$U" admin
expect "empty line" 1 "Empty password refused"
pw_from $'one\ntwo\n'
run --users "$U" admin
expect "two lines" 1 "more than one line"
printf 'a\0b\n' > "$TMP/in"
run --users "$U" admin
expect "NUL byte" 1 "NUL byte"
head -c 512 /dev/zero | tr '\0' p > "$TMP/in"
run --users "$U" admin
expect "512 bytes" 1 "longer than 511 bytes"
check "the file is unchanged by all of these" cmp -s "$U" "$TMP/users.before"
head -c 511 /dev/zero | tr '\0' p > "$TMP/in"
run --users "$U" admin
expect "511 bytes" 0 "account admin saved"
check "the 511-byte password works" password_ok "$U" admin "$(head -c 511 /dev/zero | tr '\0' p)"

pw_from $'x\n'
run --users "$TMP/no-such-folder/users" admin
expect "missing folder" 1 "Cannot save the account admin in $TMP/no-such-folder/users: No such file or directory"
check "the folder is not created" test ! -e "$TMP/no-such-folder"

printf '# ok\nadmin:plaintext\nbroken\n' > "$TMP/bad-users"
run --users "$TMP/bad-users" bob
expect "file with errors: line 2" 1 "$TMP/bad-users:2: the hash of 'admin' is not a yescrypt"
expect "file with errors: line 3" 1 "$TMP/bad-users:3: expected USER:HASH"
expect "file with errors: summary" 1 "$TMP/bad-users: invalid accounts file, see the errors above; nothing changed"
check "the file with errors is unchanged" test "$(cat "$TMP/bad-users")" = $'# ok\nadmin:plaintext\nbroken'

# The path from the configuration, [web] users.
printf '[web]\nusers = %s\n' "$TMP/from-config" > "$TMP/c.conf"
run --config "$TMP/c.conf" dave
expect "[web] users of --config" 0 "account dave saved in $TMP/from-config"
check "written where the configuration says" grep -q '^dave:\$y\$' "$TMP/from-config"
run --config "$TMP/none.conf" dave
expect "missing explicit configuration" 1 "$TMP/none.conf:0: cannot read the configuration file"
printf '[web]\nusers = %s\n' "$TMP/not-used" > "$TMP/c2.conf"
run --config "$TMP/c2.conf" --users "$TMP/override" dave
expect "--users wins over the configuration" 0 "account dave saved in $TMP/override"
check "the configuration's file was not written" test ! -e "$TMP/not-used"

# On a terminal: prompted twice without echo. pty-session.py ANSWER... drives a pseudo-terminal; "^C"
# sends an interrupt. It prints the transcript, then whether the echo was off at each prompt
# and whether it is on again at the end, and exits with the program's status.
cat > "$TMP/pty-session.py" <<'EOF'
import os, pty, select, signal, sys, termios, time

argv = sys.argv[1:sys.argv.index("--")]
answers = sys.argv[sys.argv.index("--") + 1:]
pid, fd = pty.fork()
if pid == 0:
    os.execv(argv[0], argv)
out = b""

def read_more(timeout):
    global out
    r, _, _ = select.select([fd], [], [], timeout)
    if not r:
        return False
    try:
        data = os.read(fd, 4096)
    except OSError:
        return None
    if not data:
        return None
    out += data
    return True

echo_off = []
for a in answers:
    deadline = time.time() + 20
    want = out.count(b": ") + 1
    while out.count(b": ") < want and time.time() < deadline:
        if read_more(0.2) is None:
            break
    echo_off.append(not (termios.tcgetattr(fd)[3] & termios.ECHO))
    try:
        os.write(fd, b"\x03" if a == "^C" else a.encode() + b"\n")
    except OSError:
        break  # the program is gone already
deadline = time.time() + 30
while time.time() < deadline and read_more(0.5) is not None:
    pass
_, status = os.waitpid(pid, 0)
echo_after = bool(termios.tcgetattr(fd)[3] & termios.ECHO)
sys.stdout.write(out.decode(errors="replace").replace("\r", ""))
print("echo-off-at-prompts=%s" % ("yes" if echo_off and all(echo_off) else "no"))
print("echo-on-after=%s" % ("yes" if echo_after else "no"))
if os.WIFSIGNALED(status):
    sys.exit(128 + os.WTERMSIG(status))
sys.exit(os.WEXITSTATUS(status))
EOF

tty_run() {
	RC=0
	python3 "$TMP/pty-session.py" "$PASSWD" --users "$U" "$@" > "$TMP/tty.out" 2>&1 || RC=$?
	OUT=$(cat "$TMP/tty.out")
	ERR=
}

tty_run erin -- 'tty pass word' 'tty pass word'
expect "terminal, same password twice" 0 "account erin saved in $U"
expect "terminal: first prompt" 0 "New password for erin: "
expect "terminal: second prompt" 0 "Retype the new password: "
expect "terminal: echo off at both prompts" 0 "echo-off-at-prompts=yes"
expect "terminal: echo on again" 0 "echo-on-after=yes"
check "terminal: the password was not echoed" not grep -q 'tty pass word' "$TMP/tty.out"
check "terminal: the password works" password_ok "$U" erin "tty pass word"

cp "$U" "$TMP/users.before"
tty_run erin -- 'one thing' 'another'
expect "terminal, passwords that differ" 1 "The passwords do not match; nothing changed"
expect "terminal, mismatch: echo on again" 1 "echo-on-after=yes"
tty_run erin -- '' ''
expect "terminal, empty password" 1 "Empty password refused"
tty_run erin -- '^C'
check "terminal, Ctrl-C at the prompt: killed by SIGINT (got $RC)" test "$RC" = 130
expect "terminal, Ctrl-C: echo on again" 130 "echo-on-after=yes"
check "the file is unchanged by all of these" cmp -s "$U" "$TMP/users.before"
check "the password still works" password_ok "$U" erin "tty pass word"

# A password given as an argument is refused on a terminal too, before any prompt.
tty_run erin secret --
expect "terminal, password as an argument" 2 "never taken from the command line"
check "no prompt then" not grep -q 'New password' "$TMP/tty.out"
finish
