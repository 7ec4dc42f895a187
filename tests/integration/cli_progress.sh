#!/bin/sh
# Long petrel commands against a real broker: the progress line on a
# terminal's stderr (send -, consume, bench consume --json, bench produce
# --json) at most ten times a second and cleared at the end, nothing on a
# stderr that is not a terminal; the text of both bench verbs: a line per
# second, then the totals.
. "$top_srcdir/tests/integration/consumer_lib.sh"
command -v jq >/dev/null 2>&1 || { echo "SKIP: no jq"; exit 77; }
cn_setup
T=$NS_TMP
P="$PETREL -n $NSADDR"
for topic in Cs Cp Cq; do
	cn_tool create $topic 2 || cn_fail "create $topic"
	ns_wait 10 sh -c "$P route $topic >/dev/null 2>&1" ||
	    cn_fail "topic $topic never routed"
done

# onpty FILE CMD...: run CMD with stdin as given, stdout in FILE.stdout and
# stderr on a pseudo-terminal, all it wrote there in FILE; CMD's status.
cat >"$T/onpty.py" <<'PY'
import os, pty, subprocess, sys
out, cmd = sys.argv[1], sys.argv[2:]
m, s = pty.openpty()
with open(out + ".stdout", "wb") as so:
    p = subprocess.Popen(cmd, stdout=so, stderr=s)
os.close(s)
data = b""
while True:
    try:
        chunk = os.read(m, 4096)
    except OSError:		# EIO: every writer is gone
        break
    if not chunk:
        break
    data += chunk
with open(out, "wb") as f:
    f.write(data)
sys.exit(p.wait())
PY
onpty() {
	"$PYTHON3" "$T/onpty.py" "$@"
}

# progress FILE REGEX: FILE holds progress updates (each "\r" TEXT
# "\033[K") matching REGEX, then the clearing "\r\033[K" and nothing else;
# prints the number of updates.
progress() {
	"$PYTHON3" - "$1" "$2" <<'PY'
import re, sys
data = open(sys.argv[1], "rb").read().decode()
assert data.endswith("\r\x1b[K"), repr(data[-40:])
updates = data[:-4].split("\x1b[K")
assert updates[-1] == "", repr(data[-40:])
updates = updates[:-1]
assert updates, "no progress at all"
for u in updates:
    assert re.fullmatch("\r" + sys.argv[2], u), repr(u)
print(len(updates))
PY
}

# send -: 40 lines over about 2 s; one update per message would be 40.
i=1
while [ $i -le 40 ]; do
	echo "p$i"
	i=$((i + 1))
	sleep 0.05
done | onpty "$T/send.tty" $P send Cs - || cn_fail "send - on a tty"
[ "$(wc -l <"$T/send.tty.stdout")" -eq 40 ] || cn_fail "send: not 40 lines"
n=$(progress "$T/send.tty" '[0-9]+ sent') ||
    cn_fail "send progress: $(od -c "$T/send.tty" | head)"
# The lines took at least 2 s (40 sleeps of 50 ms): at most ~10 a second.
[ "$n" -ge 2 ] && [ "$n" -lt 35 ] ||
    cn_fail "send: $n progress updates for 40 messages over 2 s"
# The same without a terminal: nothing on stderr.
seq 5 | $P send Cs - >"$T/send.out" 2>"$T/send.err" ||
    cn_fail "send - without a tty"
[ -s "$T/send.err" ] && cn_fail "send wrote to a non-tty stderr: $(cat \
    "$T/send.err")"

# consume: its count, then cleared; nothing without a terminal.
onpty "$T/consume.tty" timeout 20 $P consume Cs -g Gp --from first \
    --count 45 || cn_fail "consume on a tty"
[ "$(wc -l <"$T/consume.tty.stdout")" -eq 45 ] ||
    cn_fail "consume: not 45 lines"
progress "$T/consume.tty" '[0-9]+ messages' >/dev/null ||
    cn_fail "consume progress: $(od -c "$T/consume.tty" | head)"
timeout 20 $P consume Cs -g Gp2 --from first --count 45 >/dev/null \
    2>"$T/consume.err" || cn_fail "consume without a tty"
[ -s "$T/consume.err" ] && cn_fail "consume wrote to a non-tty stderr"

# bench consume --json: "N of 45 messages" on the terminal, the JSON on
# stdout only.
onpty "$T/bc.tty" timeout 20 $P --json bench consume --topic Cs -g Gp3 \
    --count 45 || cn_fail "bench consume --json on a tty"
progress "$T/bc.tty" '[0-9]+ of 45 messages' >/dev/null ||
    cn_fail "bench consume progress: $(od -c "$T/bc.tty" | head)"
jq -e '.messages == 45' "$T/bc.tty.stdout" >/dev/null ||
    cn_fail "bench consume JSON: $(cat "$T/bc.tty.stdout")"

# bench produce: 2 threads of sync sends for 2 s.  Text: "1s:", "2s:",
# then the totals.  JSON on a terminal: progress, then the object.
timeout 30 $P bench produce --topic Cp --size 64 --threads 2 --window 1 \
    --duration 2 >"$T/bp.out" 2>"$T/bp.err" || cn_fail "bench produce"
[ -s "$T/bp.err" ] && cn_fail "bench produce wrote to stderr"
[ "$(wc -l <"$T/bp.out")" -eq 3 ] &&
    sed -n 1p "$T/bp.out" | grep -Eqx '1s: [0-9]+ msgs/s, mean [0-9]+ us, errors 0' &&
    sed -n 2p "$T/bp.out" | grep -Eqx '2s: [0-9]+ msgs/s, mean [0-9]+ us, errors 0' &&
    sed -n 3p "$T/bp.out" | grep -Eqx 'total: [1-9][0-9]* msgs in [0-9.]+ s, [0-9]+ msgs/s, p50 [0-9]+ us, p99 [0-9]+ us, p999 [0-9]+ us, errors 0' ||
    cn_fail "bench produce text: $(cat "$T/bp.out")"
onpty "$T/bp.tty" timeout 30 $P --json bench produce --topic Cp --size 64 \
    --threads 2 --window 1 --duration 2 || cn_fail "bench produce --json"
progress "$T/bp.tty" '[12]s: [0-9]+ messages' >/dev/null ||
    cn_fail "bench produce progress: $(od -c "$T/bp.tty" | head)"
jq -e '.threads == 2 and .window == 1 and .messages > 0 and .errors == 0 and
    .seconds >= 1.9' "$T/bp.tty.stdout" >/dev/null ||
    cn_fail "bench produce JSON: $(cat "$T/bp.tty.stdout")"

# bench consume, text: 30 messages sent about 10 a second, so a line for
# each of the seconds it takes (with latencies), then the totals.
timeout 30 $P bench consume --topic Cq -g Gq --count 30 >"$T/bq.out" \
    2>"$T/bq.err" &
bq=$!
CN_PIDS="$CN_PIDS $bq"
i=1
while [ $i -le 30 ]; do
	echo "q$i"
	i=$((i + 1))
	sleep 0.1
done | $P send Cq - >/dev/null || cn_fail "send Cq"
wait "$bq" || cn_fail "bench consume exited $?: $(cat "$T/bq.err")"
[ -s "$T/bq.err" ] && cn_fail "bench consume wrote to stderr"
n=$(wc -l <"$T/bq.out")
[ "$n" -ge 3 ] || cn_fail "bench consume: no line a second: $(cat \
    "$T/bq.out")"
sec='[0-9]+s: [0-9]+ msgs/s, store to consume mean [0-9.]+ ms max [0-9]+ ms'
sec="$sec, born to consume mean [0-9.]+ ms max [0-9]+ ms, [0-9]+ of 30"
head -n $((n - 1)) "$T/bq.out" | grep -Evx -- "$sec" | grep -q . &&
    cn_fail "bench consume line: $(cat "$T/bq.out")"
head -n $((n - 1)) "$T/bq.out" | awk '$1 != NR "s:"' | grep -q . &&
    cn_fail "bench consume seconds out of order: $(cat "$T/bq.out")"
tail -n 1 "$T/bq.out" | grep -Eqx -- '30 messages in [0-9.]+ s: [0-9]+ msgs/s; store to delivery p50 [0-9]+ us, p99 [0-9]+ us, p99.9 [0-9]+ us; 0 errors' ||
    cn_fail "bench consume totals: $(cat "$T/bq.out")"
exit 0
