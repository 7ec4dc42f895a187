#!/bin/sh
# Reaching the name servers: a dead one exits 69, a silent one 75, one that
# talks nonsense 76, and a -n list whose first addresses are dead or silent
# still gets its answer from the next.
. "$top_srcdir/tests/integration/cli_lib.sh"

dead=127.0.0.1:$(free_port)

# Nothing listens: 69 (EX_UNAVAILABLE), the address in the message.
expect 69 "$PETREL" -n "$dead" cluster list
expect_grep err "no name server answered.*$dead"
expect 69 "$PETREL" -n "$dead" --json kv get a b
expect_jq err '.error.code == "unavailable"'
[ -s "$tmp/out" ] && fail "an error wrote to stdout"
expect 69 env PETREL_NAMESRV="$dead" "$PETREL" route t

# A server that accepts and never answers: 75 (EX_TEMPFAIL) after -t.
# One that answers garbage: 76 (EX_PROTOCOL).
"$PYTHON3" - "$tmp/servers" <<'PY' &
import os, socket, sys, threading
silent = socket.socket()
silent.bind(("127.0.0.1", 0))
silent.listen(16)
garbage = socket.socket()
garbage.bind(("127.0.0.1", 0))
garbage.listen(16)
def serve_garbage():
    while True:
        c, _ = garbage.accept()
        c.sendall(b"HTTP/1.0 400 Bad Request\r\n\r\n")
        c.close()
threading.Thread(target=serve_garbage, daemon=True).start()
held = []
def hold():
    while True:
        held.append(silent.accept()[0])
threading.Thread(target=hold, daemon=True).start()
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write("%d %d\n" % (silent.getsockname()[1], garbage.getsockname()[1]))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
threading.Event().wait()
PY
pids="$pids $!"
wait_for 10 test -f "$tmp/servers"
read -r silent_port garbage_port <"$tmp/servers"
silent=127.0.0.1:$silent_port
garbage=127.0.0.1:$garbage_port

expect 75 "$PETREL" -n "$silent" -t 200 cluster list
expect_grep err 'no name server answered'
expect 75 "$PETREL" -n "$silent" -t 200 --json cluster list
expect_jq err '.error.code == "timeout"'
expect 76 "$PETREL" -n "$garbage" cluster list
expect 76 "$PETREL" -n "$garbage" --json cluster list
expect_jq err '.error.code == "protocol_error"'
# Dead and silent together: the timeout is the telling failure.
expect 75 "$PETREL" -n "$dead;$silent" -t 200 cluster list

# A live name server after dead, silent and garbage ones answers.
start_namesrv
expect 0 "$PETREL" -n "$dead;$ns" kv put ns k v
expect 0 "$PETREL" -n "$dead;$ns" kv get ns k
expect_out "v"
expect 0 "$PETREL" -n "$dead;$silent;$garbage;$ns" -t 300 kv get ns k
expect_out "v"
expect 0 "$PETREL" -n "$dead,$ns" --json cluster list
expect_jq out '.clusters == []'
# The first answer wins, even a negative one: no fall-through on 1.
expect 1 "$PETREL" -n "$ns;$dead" kv get ns missing
exit 0
