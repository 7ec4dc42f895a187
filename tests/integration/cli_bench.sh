#!/bin/sh
# petrel bench store runs the store benchmark in a temp folder and prints
# its figures as JSON, positive numbers; a bad argument is a usage error
# (64) and -h describes the options.  petrel bench runtime likewise.
. "$top_srcdir/tests/integration/cli_lib.sh"

command -v jq >/dev/null 2>&1 || skip "no jq"

expect 0 "$PETREL" bench store --dir "$tmp/store" --size 1024 \
    --count 2000 --flush async --writers 4 --segment 1048576 --json
jq -e '(.msgs_per_sec, .mb_per_sec, .p50_us, .p99_us) as $v |
    ($v | type) == "number" and $v > 0' "$tmp/out" >/dev/null ||
    fail "bench store figures not all positive numbers: $(cat "$tmp/out")"
jq -e '.failed == 0 and .count == 2000 and .writers == 4' "$tmp/out" \
    >/dev/null || fail "bench store settings wrong: $(cat "$tmp/out")"

# The global --json reaches the benchmark too.
expect 0 "$PETREL" --json bench store --dir "$tmp/store2" --count 100 \
    --segment 1048576
jq -e '.count == 100' "$tmp/out" >/dev/null ||
    fail "petrel --json bench store printed no JSON: $(cat "$tmp/out")"

# Against the reference measured in the same run: sync flush compares
# appends/s with the appends each followed by fdatasync.
expect 0 "$PETREL" bench store --dir "$tmp/store5" --count 20 --flush sync \
    --segment 1048576 --against-reference --json
jq -e '.reference_mb_per_sec > 0 and .reference_syncs_per_sec > 0 and
    (.vs_reference - .msgs_per_sec / .reference_syncs_per_sec) as $d |
    $d < 0.01 and $d > -0.01' "$tmp/out" >/dev/null ||
    fail "bench store against its reference: $(cat "$tmp/out")"
[ -e "$tmp/store5/bench-reference" ] && fail "the reference file was left"

expect 64 "$PETREL" bench store --dir "$tmp/store3" --bogus
grep -q "usage: petrel bench store" "$tmp/err" ||
    fail "no usage line for a bad argument: $(cat "$tmp/err")"
expect 64 "$PETREL" bench store --count 10
# Bad values are named, never read as 0 or as the default.
expect 64 "$PETREL" bench store --dir "$tmp/store4" --size abc
expect_grep err "--size: 'abc' is not a number from 1 to "
expect 64 "$PETREL" bench store --dir "$tmp/store4" --writers 0
expect_grep err "--writers: '0' is not a number"
expect 64 "$PETREL" bench store --dir "$tmp/store4" --flush bogus
expect_grep err "--flush: 'bogus' is neither async nor sync"
[ -e "$tmp/store4" ] && fail "a refused run touched its directory"

expect 0 "$PETREL" bench store -h
grep -q -- "--writers" "$tmp/out" || fail "bench store -h lists no --writers"
expect 0 "$PETREL" help bench store
grep -q -- "--segment" "$tmp/out" || fail "help bench store lists no --segment"

expect 0 "$PETREL" bench runtime --messages 20000 -r 1 --json
jq -e '(.senders_1.msgs_per_s, .senders_4.msgs_per_s) as $v |
    ($v | type) == "number" and $v > 0' "$tmp/out" >/dev/null ||
    fail "bench runtime rates not positive numbers: $(cat "$tmp/out")"
jq -e '.messages == 20000 and .out_of_order == 0' "$tmp/out" >/dev/null ||
    fail "bench runtime settings wrong: $(cat "$tmp/out")"
expect 64 "$PETREL" bench runtime -x
expect 0 "$PETREL" bench runtime --help
grep -q -- "--hwm" "$tmp/out" || fail "bench runtime -h lists no --hwm"
exit 0
