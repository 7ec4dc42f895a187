#!/bin/sh
# Check the systemd units without a running systemd: "systemd-analyze
# verify" must print nothing at all (it exits 0 on many problems and only
# warns), and "systemd-analyze security --offline" must rate each unit at
# most 4.0.  To check another unit, add its name to UNITS: the unit is
# etc/systemd/NAME in the build tree, its ExecStart points at
# daemons/PROGRAM there (verify wants the binary to exist), and a
# template NAME@.service is verified as the instance NAME@i.service.
UNITS="petrel-namesrv.service petrel-broker@.service"

: "${top_builddir:?}" "${top_srcdir:?}"
SYSTEMD_ANALYZE=${SYSTEMD_ANALYZE:-$(command -v systemd-analyze)}
[ -n "$SYSTEMD_ANALYZE" ] && [ -x "$SYSTEMD_ANALYZE" ] ||
    { echo "no systemd-analyze"; exit 77; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/petrel-units.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT

rc=0
for unit in $UNITS; do
	src=$top_builddir/etc/systemd/$unit
	[ -f "$src" ] || { echo "FAIL: $src not built"; rc=1; continue; }
	prog=$(sed -n 's|^ExecStart=[^ ]*/\([^/ ]*\) .*|\1|p' "$src")
	[ -x "$top_builddir/daemons/$prog" ] ||
	    { echo "FAIL: $unit: no daemons/$prog"; rc=1; continue; }
	case $unit in
	*@.service) name=${unit%@.service}@i.service ;;
	*) name=$unit ;;
	esac
	sed "s|^ExecStart=[^ ]*|ExecStart=$top_builddir/daemons/$prog|" \
	    "$src" >"$tmp/$unit"
	out=$("$SYSTEMD_ANALYZE" verify --man=no "$tmp/$name" 2>&1)
	if [ -n "$out" ]; then
		echo "FAIL: systemd-analyze verify $unit:"
		echo "$out"
		rc=1
	fi
	if ! out=$("$SYSTEMD_ANALYZE" security --offline=yes --threshold=40 \
	    --man=no "$tmp/$name" 2>&1); then
		echo "FAIL: systemd-analyze security $unit:"
		echo "$out"
		rc=1
	else
		echo "$unit: $(echo "$out" | tail -n 1)"
	fi
done
exit $rc
