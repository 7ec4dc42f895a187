#!/bin/sh
# Two brokers registered through the protocol answer routes correctly.
. "$top_srcdir/tests/integration/namesrv_lib.sh"
ns_setup
ns_need_python
ns_start
ns_python namesrv_routes.py
ns_stop 0
exit 0
