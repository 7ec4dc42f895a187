#!/bin/sh
# A bounded libFuzzer run over commit log recovery
# (tests/fuzz/fuzz_recovery.c).  Compiles the target directly with clang,
# -fsanitize=fuzzer,address,undefined, from the store sources, then fuzzes
# a copy of tests/corpus/recovery for FUZZ_SECONDS (20) seconds.  Skips (77)
# without clang and libFuzzer (packages clang and libclang-rt-14-dev).
. "${top_srcdir:?}/tests/integration/fuzz_lib.sh"
"$cc" -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined \
    -fno-sanitize-recover=all -fno-omit-frame-pointer \
    -I"$b" -I"$s/lib" -o "$tmp/fuzz_recovery" \
    "$s/tests/fuzz/fuzz_recovery.c" "$s/lib/store.c" "$s/lib/commitlog.c" \
    "$s/lib/consumequeue.c" "$s/lib/msgindex.c" "$s/lib/checkpoint.c" \
    "$s/lib/mapfile.c" "$s/lib/crc32c.c" "$s/lib/log.c" \
    "$s/lib/xmalloc.c" -lpthread || exit 1

mkdir "$tmp/corpus" && cp "$s"/tests/corpus/recovery/* "$tmp/corpus/" || exit 1
n=$(ls "$tmp/corpus" | wc -l)
echo "fuzzing recovery for ${seconds}s from $n seeds"
ASAN_OPTIONS=${ASAN_OPTIONS:-}:detect_leaks=1 \
"$tmp/fuzz_recovery" -max_total_time="$seconds" -timeout=10 \
    -rss_limit_mb=2048 -max_len=2048 -print_final_stats=1 \
    -artifact_prefix="$tmp/" "$tmp/corpus" >"$tmp/all" 2>&1
rc=$?
# Recovery logs a warning per damaged input: keep them out of the report.
grep -v -e ' warning: ' -e ' info: ' "$tmp/all" >"$tmp/log"
grep -E '^(stat::number_of_executed_units|stat::new_units_added|#[0-9]+ +DONE)' "$tmp/log"
if [ $rc -ne 0 ]; then
	tail -n 60 "$tmp/log"
	for f in "$tmp"/crash-* "$tmp"/leak-* "$tmp"/timeout-*; do
		[ -f "$f" ] || continue
		echo "artifact $f:"; od -A x -t x1z "$f" | head -n 20
	done
	exit 1
fi
echo "new corpus entries: $(( $(ls "$tmp/corpus" | wc -l) - n ))"
exit 0
