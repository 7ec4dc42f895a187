#!/bin/sh
# Reaching the name servers: a dead one exits 69, a silent one 75, one that
# talks nonsense 76, and a -n list whose first addresses are dead or silent
# still gets its answer from the next.  petrel consume and bench consume
# fail the same ways, and exit 1 for a topic that has no route.
. "$top_srcdir/tests/integration/cli_lib.sh"

dead=127.0.0.1:$(free_port)

# Nothing listens: 69 (EX_UNAVAILABLE), the address in the message.
expect 69 "$PETREL" -n "$dead" cluster list
expect_grep err "no name server answered.*$dead"
expect 69 "$PETREL" -n "$dead" --json kv get a b
expect_jq err '.error.code == "unavailable"'
[ -s "$tmp/out" ] && fail "an error wrote to stdout"
# -n after the verb, for every verb that asks; it wins over one before.
expect 69 "$PETREL" cluster list -n "$dead"
expect_grep err "no name server answered.*$dead"
expect 69 "$PETREL" kv get --namesrv="$dead" a b
expect 69 "$PETREL" -n 127.0.0.1:1 route t -n "$dead"
expect_grep err "$dead"
expect 69 "$PETREL" send t x -n "$dead"
expect 69 "$PETREL" bench produce -n "$dead" --topic t --count 1
expect 69 env PETREL_NAMESRV="$dead" "$PETREL" route t
# The consumers ask for the topic's route first, as every verb does, and
# so end at once instead of waiting for a route forever.
expect 69 timeout 10 "$PETREL" -n "$dead" consume t -g G
expect_grep err "consume t: no name server answered.*$dead"
expect 69 timeout 10 "$PETREL" bench consume -n "$dead" --topic t -g G \
    -c 1 --json
expect_jq err '.error.code == "unavailable"'

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
# The consumers give up within -t too (-t after the verb as well).
for args in "consume t -g G" "bench consume --topic t -g G -c 1"; do
	start=$(date +%s%N)
	# shellcheck disable=SC2086
	expect 75 timeout 10 "$PETREL" $args -n "$silent" -t 300
	expect_grep err "consume t: no name server answered"
	[ $(($(date +%s%N) - start)) -lt 2500000000 ] ||
	    fail "petrel $args took more than 2.5 s with -t 300"
done
expect 76 timeout 10 "$PETREL" -n "$garbage" consume t -g G

# A live name server after dead, silent and garbage ones answers.
start_namesrv
expect 0 "$PETREL" -n "$dead;$ns" kv put ns k v
expect 0 "$PETREL" -n "$dead;$ns" kv get ns k
expect_out "v"
expect 0 "$PETREL" -n "$dead;$silent;$garbage;$ns" -t 300 kv get ns k
expect_out "v"
expect 0 "$PETREL" -n "$dead,$ns" --json cluster list
expect 0 "$PETREL" -n "$dead" cluster list --json -n "$ns" -t 300
expect_jq out '.clusters == []'
expect_jq out '.clusters == []'
# The first answer wins, even a negative one: no fall-through on 1.
expect 1 "$PETREL" -n "$ns;$dead" kv get ns missing
# A topic no broker serves: 1, as for "route", not a consumer waiting.
expect 1 timeout 10 "$PETREL" -n "$ns" consume Nowhere -g G
expect_grep err "consume Nowhere: "
expect 1 timeout 10 "$PETREL" bench consume --topic Nowhere -g G -c 1 \
    -n "$ns" --json
expect_jq err '.error.code == "not_found"'
exit 0
