#!/bin/sh
# 10,000 random and truncated frames neither crash nor wedge the name
# server; it still answers, and stops cleanly.
. "$top_srcdir/tests/integration/namesrv_lib.sh"
ns_setup
ns_need_python
ns_start
ns_python namesrv_garbage.py
ns_alive || ns_fail "the name server died"
ns_stop 0
exit 0
