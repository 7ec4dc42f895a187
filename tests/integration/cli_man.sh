#!/bin/sh
# man/petrel.1 lints clean, documents every long option of the program
# (the list comes from the program's own tables, "petrel __options") and
# every command ("petrel __commands").
. "$top_srcdir/tests/integration/cli_lib.sh"

page=$top_srcdir/man/petrel.1
if [ -n "${MANDOC:-}" ]; then
	"$MANDOC" -Tlint -Wwarning "$page" >"$tmp/lint" 2>&1 || {
		cat "$tmp/lint" >&2
		fail "mandoc -Tlint -Wwarning complains about petrel.1"
	}
fi

expect 0 "$PETREL" __options
cp "$tmp/out" "$tmp/options"
[ "$(wc -l <"$tmp/options")" -ge 5 ] || fail "too few options listed"
while read -r opt; do
	name=${opt#--}
	grep -Eq "^\..*Fl -$name( |$)" "$page" ||
	    fail "petrel.1 does not document $opt as .Fl -$name"
done <"$tmp/options"

expect 0 "$PETREL" __commands
cp "$tmp/out" "$tmp/commands"
while read -r cmd; do
	grep -q "^\.Ic $cmd\$" "$page" ||
	    fail "petrel.1 has no \".Ic $cmd\" item"
done <"$tmp/commands"
exit 0
