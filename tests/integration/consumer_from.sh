#!/bin/sh
# Where a new group starts, through libpetrel: from the last message
# (PETREL_FROM_LAST: only messages sent after it started arrive, none of
# the 40 stored before) and from a time (PETREL_FROM_TIME: exactly the
# messages stored at or after it, none of those stored before).
. "$top_srcdir/tests/integration/consumer_lib.sh"
cn_setup
cn_tool create Last 4 && cn_tool create Since 4 || cn_fail "create"

# The bodies PREFIX-0 .. PREFIX-(N-1) for each "PREFIX N", sorted.
_want() {
	while [ $# -gt 0 ]; do
		_i=0
		while [ $_i -lt "$2" ]; do
			echo "$1-$_i"
			_i=$((_i + 1))
		done
		shift 2
	done | sort
}

# From last: the group's first pulls commit where it starts (the end of
# each queue, 40 in all) before more is sent.
cn_tool send Last 40 old || cn_fail "send"
cn_start l1 GLast Last from=last
ns_wait 20 sh -c '[ "$(PYTHONPATH=$1/tests/integration "$2" \
    "$1/tests/integration/consumer_tool.py" "$3" offset GLast Last 4)" = 40 ]' \
    sh "$top_srcdir" "$PYTHON3" "$BK_PORT" ||
    cn_fail "GLast did not start at the end ($(cn_tool offset GLast Last 4))"
cn_tool send Last 30 new || cn_fail "send"
cn_wait_seen 20 l1 30 "the 30 new ones did not arrive"
cn_stop l1
[ "$(cn_bodies l1)" = "$(_want new 30)" ] ||
    cn_fail "from last: $(cn_bodies l1 | grep -v '^new-' | head -n 3)"

# From a time between two sends (store times are the wall clock).
_ms() { "$PYTHON3" -c 'import time; print(int(time.time() * 1000))'; }
# Wait until the wall clock has passed ms $1.
_past() {
	ns_wait 5 sh -c '[ "$("$0" -c \
	    "import time; print(int(time.time() * 1000))")" -gt "$1" ]' \
	    "$PYTHON3" "$1" || cn_fail "the clock stands still"
}
cn_tool send Since 30 early || cn_fail "send"
_past "$(_ms)"
_t=$(_ms)
_past "$_t"
cn_tool send Since 30 late || cn_fail "send"
cn_start t1 GSince Since from="$_t"
cn_wait_seen 20 t1 30 "the 30 stored after $_t did not arrive"
cn_tool send Since 20 more || cn_fail "send"
cn_wait_seen 20 t1 50 "the 20 sent later did not arrive"
cn_stop t1
[ "$(cn_bodies t1)" = "$(_want late 30 more 20)" ] ||
    cn_fail "from $_t: $(cn_bodies t1 | grep -v '^late-\|^more-' | head -n 3)"
exit 0
