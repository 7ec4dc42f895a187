/*
 * The store benchmark behind `petrel bench store` (lib/storebench.c).
 */
#ifndef STOREBENCH_H
#define STOREBENCH_H

int	storebench_main(int, char **);

#endif /* STOREBENCH_H */
