# Sourced by the bounded libFuzzer runs (fuzz_*.sh): checks that clang can
# build a libFuzzer target (else exits 77, skipped), makes $tmp (removed on
# exit) and sets $s and $b to the source and build trees, $cc to the
# compiler and $seconds to how long to fuzz (FUZZ_SECONDS, 20).
set -u
: "${top_srcdir:?}" "${top_builddir:?}"
seconds=${FUZZ_SECONDS:-20}
cc=${FUZZ_CC:-clang}
s=$top_srcdir
b=$top_builddir

command -v "$cc" >/dev/null 2>&1 || { echo "no $cc: skipped"; exit 77; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/petrel-fuzz.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM

# Can this clang link a libFuzzer target at all?
printf '%s\n' '#include <stddef.h>' '#include <stdint.h>' \
    'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)' \
    '{ (void)d; (void)n; return 0; }' >"$tmp/probe.c"
if ! "$cc" -fsanitize=fuzzer,address,undefined -o "$tmp/probe" \
    "$tmp/probe.c" >/dev/null 2>&1; then
	echo "$cc cannot link -fsanitize=fuzzer (libclang-rt-14-dev?): skipped"
	exit 77
fi
