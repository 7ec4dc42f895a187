/*
 * The store benchmark as a program of its own (lib/storebench.c has the
 * options): bench_store --dir DIR [--size B] [--count N] [--flush
 * async|sync] [--writers N] [--segment B] [--recover] [--reference]
 * [--json].
 */
#include "config.h"

#include "log.h"
#include "storebench.h"

int
main(int argc, char **argv)
{
	log_init("bench_store", LOG_LEVEL_WARN);
	return (storebench_main(argc, argv));
}
