#!/bin/sh
# Lint every man page in man/ with mandoc at warning level: exit 0 clean.
: "${top_srcdir:?}"
MANDOC=${MANDOC:-$(command -v mandoc)}
[ -n "$MANDOC" ] && [ -x "$MANDOC" ] || { echo "no mandoc"; exit 77; }
rc=0
n=0
for page in "$top_srcdir"/man/*.[1-8]; do
	[ -f "$page" ] || continue
	n=$((n + 1))
	if ! "$MANDOC" -Tlint -Wwarning "$page"; then
		echo "FAIL: $page"
		rc=1
	fi
done
[ "$n" -gt 0 ] || { echo "no man pages"; exit 1; }
echo "$n pages linted"
exit $rc
