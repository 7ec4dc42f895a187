#!/bin/sh
# libpetrel's consumer against a real broker: tag filtering, broadcasting
# (every member sees everything, offsets in local files), a restarted
# consumer resuming from its committed offset, and failed consumption going
# to %RETRY%group (presented under its own topic) and then %DLQ%group.
. "$top_srcdir/tests/integration/consumer_lib.sh"
cn_setup
CN_QUEUES=4
cn_tool create Tags 4 && cn_tool create Wide 4 && cn_tool create Resume 4 &&
    cn_tool create Fails 1 || cn_fail "create"

# Tags: only TagA and TagB arrive, all of them.
cn_tool send Tags 40 x TagA && cn_tool send Tags 40 y TagB &&
    cn_tool send Tags 40 z TagC && cn_tool send Tags 10 n ||
    cn_fail "send tags"
cn_start t1 GT Tags from=first "tag=TagA ||TagB" idle_ms=3000
wait "$CN_t1" || cn_fail "tag consumer failed"
[ "$(cn_bodies t1 | uniq | wc -l)" -eq 80 ] ||
    cn_fail "$(cn_bodies t1 | uniq | wc -l) tagged messages, not 80"
awk '$1 == "M" && $7 != "TagA" && $7 != "TagB"' "$NS_TMP/t1.out" |
    grep -q . && cn_fail "a message of another tag arrived"

# Broadcasting: each member sees every message.
cn_tool send Wide 60 w || cn_fail "send wide"
cn_start b1 GB Wide from=first broadcast=1 "offset_file=$NS_TMP/b1.off"
cn_start b2 GB Wide from=first broadcast=1 "offset_file=$NS_TMP/b2.off" \
    push=1
ns_wait 20 sh -c '[ "$(grep -c "^M " "$0"/b1.out)" -ge 60 ] &&
    [ "$(grep -c "^M " "$0"/b2.out)" -ge 60 ]' "$NS_TMP" ||
    cn_fail "broadcast members did not each see 60"
cn_stop b1
cn_stop b2
[ "$(cn_bodies b1 | uniq | wc -l)" -eq 60 ] || cn_fail "b1 missed some"
[ "$(cn_bodies b2 | uniq | wc -l)" -eq 60 ] || cn_fail "b2 missed some"
[ -s "$NS_TMP/b1.off" ] && [ -s "$NS_TMP/b2.off" ] ||
    cn_fail "no offset files"
# A broadcast member restarted resumes from its file: nothing again.
cn_start b1 GB Wide from=first broadcast=1 "offset_file=$NS_TMP/b1.off" \
    idle_ms=2500
wait "$CN_b1" || cn_fail "b1 again failed"
[ "$(grep -c '^M ' "$NS_TMP/b1.out")" -eq 0 ] ||
    cn_fail "b1 consumed again after its restart"

# Resume: a consumer stops after some, another picks up the rest.
cn_tool send Resume 200 r || cn_fail "send resume"
cn_start r1 GR Resume from=first count=50
wait "$CN_r1" || cn_fail "r1 failed"
cn_start r2 GR Resume from=first idle_ms=3000
wait "$CN_r2" || cn_fail "r2 failed"
[ "$(cn_bodies r1 r2 | uniq | wc -l)" -eq 200 ] ||
    cn_fail "$(cn_bodies r1 r2 | uniq | wc -l) resumed messages, not 200"
[ -z "$(cn_bodies r1 | comm -12 - "$(cn_bodies r2 >"$NS_TMP/r2.b";
    echo "$NS_TMP/r2.b")")" ] || cn_fail "r2 consumed what r1 committed"

# Failures: a message handed back comes again from %RETRY%GF under its
# topic, then goes to %DLQ%GF (one try allowed).
cn_tool send Fails 1 f || cn_fail "send fails"
cn_start f1 GF Fails from=first later=2 max_reconsume=1
ns_wait 40 sh -c '[ "$(grep -c "^M Fails .* 1 - f-0$" "$0"/f1.out)" -ge 1 ]' \
    "$NS_TMP" || cn_fail "the retry never came back"
grep -q '^M Fails .* 0 - f-0$' "$NS_TMP/f1.out" || cn_fail "no first try"
ns_wait 20 sh -c '[ "$(PYTHONPATH=$1/tests/integration "$2" \
    "$1/tests/integration/consumer_tool.py" "$3" count %DLQ%GF 1 \
    2>/dev/null)" = 1 ]' sh "$top_srcdir" "$PYTHON3" "$BK_PORT" ||
    cn_fail "nothing in %DLQ%GF"
cn_stop f1
exit 0
