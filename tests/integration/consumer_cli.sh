#!/bin/sh
# petrel consume and petrel bench consume against a real broker: text and
# JSON Lines output, --count, --tag, a second run resuming after what the
# first committed, bad arguments refused with EX_USAGE.
. "$top_srcdir/tests/integration/consumer_lib.sh"
cn_setup
cn_tool create Cli 2 || cn_fail "create"
cn_tool send Cli 10 m TagA && cn_tool send Cli 10 o TagB || cn_fail "send"
P="$PETREL -n $NSADDR"

# Bad arguments.
for args in "consume" "consume Cli" "consume Cli -g G --count 0" \
    "consume Cli -g G --count x" "consume Cli -g G --from yesterday" \
    "consume Cli -g %bad" "consume Cli -g G --tag a||" \
    "consume %RETRY%G -g G" "bench consume --topic Cli -g G" \
    "bench consume --topic Cli -g G --count -1"; do
	$P $args >/dev/null 2>&1
	rc=$?
	[ "$rc" -eq 64 ] || cn_fail "petrel $args: exit $rc, not 64"
done

# Text: 5 messages of TagA, from the first.
timeout 20 $P consume Cli -g G1 --tag TagA --from first --count 5 \
    >"$NS_TMP/t.out" || cn_fail "consume text"
[ "$(wc -l <"$NS_TMP/t.out")" -eq 5 ] || cn_fail "not 5 lines"
awk '$1 != "Cli" || $5 != "TagA" || $6 !~ /^m-/' "$NS_TMP/t.out" |
    grep -q . && cn_fail "bad text line: $(cat "$NS_TMP/t.out")"
# The same group resumes with the other 5 (offsets committed at exit).
timeout 20 $P consume Cli -g G1 --tag TagA --count 5 >"$NS_TMP/t2.out" ||
    cn_fail "consume again"
[ "$(cat "$NS_TMP/t.out" "$NS_TMP/t2.out" | awk '{print $6}' | sort -u |
    wc -l)" -eq 10 ] || cn_fail "the second run did not resume"

# JSON Lines with every field.
timeout 20 $P --json consume Cli -g G2 --from first --count 20 \
    >"$NS_TMP/j.out" || cn_fail "consume json"
[ "$(wc -l <"$NS_TMP/j.out")" -eq 20 ] || cn_fail "not 20 JSON lines"
"$PYTHON3" - "$NS_TMP/j.out" <<'PY' || cn_fail "bad JSON lines"
import json, sys
for line in open(sys.argv[1]):
    m = json.loads(line)
    for k in ("msg_id", "topic", "queue_id", "queue_offset", "tags", "keys",
              "body"):
        assert k in m, k
    assert m["topic"] == "Cli" and m["tags"] in ("TagA", "TagB")
PY

# Benchmark: one JSON object with the figures.
cn_tool send Cli 200 b || cn_fail "send"
timeout 30 $P --json bench consume --topic Cli -g G3 --count 220 \
    >"$NS_TMP/b.out" || cn_fail "bench consume"
"$PYTHON3" -c 'import json,sys; m=json.load(open(sys.argv[1]));
assert m["messages"] == 220 and m["errors"] == 0 and m["msgs_per_sec"] > 0
assert m["stalled"] is False
for k in ("p50_us", "p99_us", "p999_us"): assert k in m' "$NS_TMP/b.out" ||
    cn_fail "bad bench output: $(cat "$NS_TMP/b.out")"

# Asked for more than there are: it stops once none came for --idle
# seconds, with the figures of the 220 and EX_TEMPFAIL.
_t0=$(date +%s)
timeout 30 $P --json bench consume --topic Cli -g G4 --count 1000 --idle 1 \
    >"$NS_TMP/i.out" 2>"$NS_TMP/i.err"
rc=$?
[ "$rc" -eq 75 ] || cn_fail "bench consume --idle 1: exit $rc, not 75"
[ $(($(date +%s) - _t0)) -le 15 ] || cn_fail "bench consume --idle 1 lingered"
grep -q '"stalled"' "$NS_TMP/i.err" ||
    cn_fail "no stalled error: $(cat "$NS_TMP/i.err")"
"$PYTHON3" -c 'import json,sys; m=json.load(open(sys.argv[1]));
assert m["messages"] == 220 and m["stalled"] is True and m["errors"] == 0
assert m["msgs_per_sec"] > 0' "$NS_TMP/i.out" ||
    cn_fail "bad idle bench output: $(cat "$NS_TMP/i.out")"
exit 0
