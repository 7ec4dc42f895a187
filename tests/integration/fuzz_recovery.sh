#!/bin/sh
# A bounded libFuzzer run over commit log recovery
# (tests/fuzz/fuzz_recovery.c).  Compiles the target directly with clang,
# -fsanitize=fuzzer,address,undefined, from the store sources, then fuzzes
# a copy of tests/corpus/recovery for FUZZ_SECONDS (20) seconds.  Skips (77)
# without clang and libFuzzer (packages clang and libclang-rt-14-dev).
. "${top_srcdir:?}/tests/integration/fuzz_lib.sh"
fuzz_build fuzz_recovery -I"$b" -I"$s/lib" \
    "$s/tests/fuzz/fuzz_recovery.c" "$s/lib/store.c" "$s/lib/commitlog.c" \
    "$s/lib/consumequeue.c" "$s/lib/msgindex.c" "$s/lib/checkpoint.c" \
    "$s/lib/mapfile.c" "$s/lib/crc32c.c" "$s/lib/log.c" \
    "$s/lib/xmalloc.c" -lpthread
# Recovery logs a warning per damaged input: keep them out of the report.
fuzz_run fuzz_recovery recovery 2048 recovery ' warning: \| info: '
