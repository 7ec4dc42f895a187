/*
 * The actor runtime benchmark as a program of its own (lib/runtimebench.c
 * has the options): bench_runtime [--json] [-n messages] [-r repeats]
 * [-s senders] [-w hwm].
 */
#include "config.h"

#include "log.h"
#include "runtimebench.h"

int
main(int argc, char **argv)
{
	log_init("bench_runtime", LOG_LEVEL_WARN);
	return (runtimebench_main(argc, argv));
}
