#!/bin/sh
# The bytes petrel-protocol(7) shows in EXAMPLES are what a real server
# takes and answers: a Ping frame sent raw to petrel-namesrv comes back as
# a response with the same id and the response flag.
. "$top_srcdir/tests/integration/cli_lib.sh"

grep -q '^00 00 00 06 08 01 10 01 18 07$' \
    "$top_srcdir/man/petrel-protocol.7" || fail "the page's example changed"
start_namesrv
"$PYTHON3" - "${ns#*:}" >"$tmp/answer" <<'PY' || fail "no answer to the Ping"
import socket, struct, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.sendall(bytes.fromhex("00000006080110011807"))
def read(n):
    b = b""
    while len(b) < n:
        chunk = s.recv(n - len(b))
        if not chunk:
            sys.exit(1)
        b += chunk
    return b
n = struct.unpack(">I", read(4))[0]
print(read(n).hex(" "))
PY
# version 1, code 1, id 7, flags FRAME_RESPONSE, then the Pong body.
grep -q '^08 01 10 01 18 07 20 01 ' "$tmp/answer" ||
    { cat "$tmp/answer" >&2; fail "the answer is not the page's"; }
exit 0
