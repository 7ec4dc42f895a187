/*
 * The hand-over between a consumer actor (on the client's loop) and the
 * application's threads: messages pulled wait in the box until polled or
 * given to a push callback; messages done wait in it until the actor takes
 * them (it is kicked once per batch).  The only lock between the two.
 */
#ifndef CONSUMERBOX_H
#define CONSUMERBOX_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "petrel.h"
#include "client.h"

/*
 * A received message as the consumer hands it out: the library's message
 * first (so petrel_msg_free() frees the whole block) and, without any
 * pointer, where the actor pulled it from.
 */
struct consumer_msg {
	struct petrel_msg	pm;
	uint64_t		queue;		/* the actor's id of its queue */
	uint32_t		status;		/* enum petrel_consume_status */
};

struct consumerbox {
	pthread_mutex_t		 lock;
	pthread_cond_t		 cond;		/* ready grew or closing */
	struct consumer_msg	**ready;	/* ring, in pull order */
	size_t			 rhead, rlen, rsize;
	struct consumer_msg	**done;		/* for the actor */
	size_t			 ndone, sizedone;
	uint64_t		 actor;		/* actor_ref(), 0 before */
	int			 kicked;	/* a ConsumerKick is on its way */
	int			 closing;
	size_t			 busy;		/* orderly: queues in a callback */
};

void	consumerbox_init(struct consumerbox *);
void	consumerbox_fini(struct consumerbox *);
void	consumerbox_set_actor(struct consumerbox *, uint64_t);
void	consumerbox_put(struct consumerbox *, struct consumer_msg **, size_t);
size_t	consumerbox_take(struct consumerbox *, struct consumer_msg **, size_t,
	    int, uint32_t);
void	consumerbox_done(struct consumerbox *, struct consumer_msg *,
	    enum petrel_consume_status);
size_t	consumerbox_take_done(struct consumerbox *, struct consumer_msg ***);
void	consumerbox_close(struct consumerbox *);
int	consumerbox_closed(struct consumerbox *);
int	consumerbox_same_queue(const struct consumer_msg *,
	    const struct consumer_msg *);

#endif /* CONSUMERBOX_H */
