#!/bin/sh
# A bounded libFuzzer run over the frame decoder and the send path's
# decoders by hand (tests/fuzz/fuzz_frame.c).  Compiles the target directly
# with clang, -fsanitize=fuzzer,address,undefined, from the library and
# actor sources (the broker's decoder is in actors/brokermsg.c, the
# client's in lib/petrel_msg.c, and they reach most of the rest) and the
# generated protobuf code of $top_builddir/proto, then fuzzes a copy of
# tests/corpus/frame for FUZZ_SECONDS (20) seconds.  Skips (77) without
# clang and libFuzzer (packages clang and libclang-rt-14-dev).
. "${top_srcdir:?}/tests/integration/fuzz_lib.sh"
fuzz_build_tree fuzz_frame "$s/tests/fuzz/fuzz_frame.c"
fuzz_run fuzz_frame frame 4096 frame_read
