#!/bin/sh
# Everything lib/petrel.h declares is documented in a section-3 page that
# "make install" installs (the pages come from the build tree's
# dist_man_MANS, man_MANS and nodist_man_MANS):
#   - each function is in the NAME section (.Nm) of one such page, in its
#     SYNOPSIS (.Fn) and in its text after them (Fn);
#   - each PETREL_* macro and enum constant is named (Dv) in one;
#   - each struct and typedef is named in one;
#   - each Xr to a section-3 page points at an installed page.
# A declaration added to petrel.h without its documentation fails here.
set -u
: "${top_builddir:?}" "${top_srcdir:?}"
header=$top_srcdir/lib/petrel.h
tmp=$(mktemp -d "${TMPDIR:-/tmp}/petrel-libman.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM
rc=0

fail()
{
	echo "FAIL: $*" >&2
	rc=1
}

# The man pages the build tree installs, as make expands them.
# shellcheck disable=SC2016 # the $(...) are make's to expand
printf 'petrel-print-mans:\n\t@echo $(dist_man_MANS) $(man_MANS) $(nodist_man_MANS)\n' \
    >"$tmp/print.mk"
mans=$(MAKEFLAGS='' MFLAGS='' ${MAKE:-make} -s --no-print-directory -C "$top_builddir" \
    -f Makefile -f "$tmp/print.mk" petrel-print-mans) ||
    { echo "FAIL: cannot ask make for the man pages"; exit 1; }
pages=
for man in $mans; do
	case $man in
	*.3) ;;
	*) continue ;;
	esac
	if [ -f "$top_builddir/$man" ]; then
		pages="$pages $top_builddir/$man"
	elif [ -f "$top_srcdir/$man" ]; then
		pages="$pages $top_srcdir/$man"
	else
		fail "$man is installed but found nowhere"
	fi
done
[ -n "$pages" ] || { echo "FAIL: no section-3 page is installed"; exit 1; }

# The header without its comments: what it declares, not what it says.
awk '{
	line = $0; out = ""
	while (line != "") {
		if (incomment) {
			if ((i = index(line, "*/")) == 0)
				line = ""
			else {
				line = substr(line, i + 2); incomment = 0
			}
		} else if ((i = index(line, "/*")) == 0) {
			out = out line; line = ""
		} else {
			out = out substr(line, 1, i - 1)
			line = substr(line, i + 2); incomment = 1
		}
	}
	print out
}' "$header" >"$tmp/decl"
guard=$(sed -n 's/^#ifndef[[:space:]]*//p' "$tmp/decl" | head -1)

# Each page as "page section macro name" lines: the NAME's .Nm, the
# SYNOPSIS's .Fn (or .Fo), and every Fn, Dv and Xr of the rest.
for page in $pages; do
	awk -v page="${page##*/}" '
	/^\.Sh / { sec = $2; next }
	/^\./ {
		for (i = 1; i < NF; i++) {
			m = $i; sub(/^\./, "", m)
			if (m == "Fo")		# a long .Fn
				m = "Fn"
			if (m != "Nm" && m != "Fn" && m != "Dv" && m != "Xr")
				continue
			if (m == "Xr" && $(i + 2) != "3")
				continue
			n = $(i + 1); gsub(/["(),]/, "", n)
			if (sec == "NAME" || sec == "SYNOPSIS")
				print page, sec, m, n
			else
				print page, "TEXT", m, n
		}
	}' "$page"
done >"$tmp/marks"
# shellcheck disable=SC2086 # a list of paths
cat $pages >"$tmp/all"

# Functions: declared names followed by "(", but not by "(*" as the
# return type of a function pointer is.
sed 's/$/ /' "$tmp/decl" | grep -o 'petrel_[a-z0-9_]*[[:space:]]*([^*]' |
    sed 's/[[:space:]]*(.$//' | sort -u >"$tmp/functions"
[ "$(wc -l <"$tmp/functions")" -ge 40 ] ||
    fail "only $(wc -l <"$tmp/functions") functions found in petrel.h"
while read -r fn; do
	page=$(awk -v fn="$fn" '$2 == "NAME" && $3 == "Nm" && $4 == fn {
	    print $1; exit }' "$tmp/marks")
	if [ -z "$page" ]; then
		fail "$fn is in the NAME section of no installed section-3 page"
		continue
	fi
	grep -qx "$page SYNOPSIS Fn $fn" "$tmp/marks" ||
	    fail "$fn is not in the SYNOPSIS of $page"
	grep -qx "$page TEXT Fn $fn" "$tmp/marks" ||
	    fail "$fn is not described in $page"
done <"$tmp/functions"

# Macros and enum constants, the include guard aside.
grep -o 'PETREL_[A-Z0-9_]*' "$tmp/decl" | grep -vx "$guard" |
    sort -u >"$tmp/constants"
while read -r c; do
	grep -q " Dv $c\$" "$tmp/marks" ||
	    fail "$c is named (Dv) in no installed section-3 page"
done <"$tmp/constants"

# Structs and typedefs, by name.
{
	grep -o 'struct petrel_[a-z0-9_]*' "$tmp/decl"
	sed -n 's/^typedef.*(\*\(petrel_[a-z0-9_]*\)).*/\1/p' "$tmp/decl"
} | sort -u >"$tmp/types"
while read -r t; do
	grep -qF "$t" "$tmp/all" ||
	    fail "$t is named in no installed section-3 page"
done <"$tmp/types"

# Cross-references between section-3 pages reach an installed page.
awk '$3 == "Xr" { print $4 }' "$tmp/marks" | sort -u | while read -r x; do
	case " $pages" in
	*/"$x".3\ *|*/"$x".3) ;;
	*) echo "FAIL: Xr $x 3 is no installed page" >&2; exit 1 ;;
	esac
done || rc=1

echo "$(wc -l <"$tmp/functions") functions, $(wc -l <"$tmp/constants")" \
    "constants, $(wc -l <"$tmp/types") types checked in:$pages"
exit $rc
