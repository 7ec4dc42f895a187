/*
 * The consumer actor of libpetrel (actors/consumer.c), started by
 * lib/petrel_consumer.c on a client's loop.
 */
#ifndef CONSUMER_H
#define CONSUMER_H

struct actor_type;

extern const struct actor_type	consumer_actor;

#endif /* CONSUMER_H */
