/*
 * The actor runtime benchmark behind `petrel bench runtime`
 * (lib/runtimebench.c).
 */
#ifndef RUNTIMEBENCH_H
#define RUNTIMEBENCH_H

int	runtimebench_main(int, char **);

#endif /* RUNTIMEBENCH_H */
