/*
 * An actor's own copy of the topic manager's table, for the send and pull
 * paths, which must not ask another loop about every message.  The owner
 * loads the whole table (TopicTable) when configured and after each
 * TopicsChanged, and puts single topics a TopicLookup returned.
 */
#include "config.h"

#include <stdlib.h>

#include "broker.h"
#include "msg.h"
#include "strmap.h"
#include "xmalloc.h"

#include "proto/brokerd.pb-c.h"
#include "proto/namesrv.pb-c.h"

struct topiccache {
	struct strmap	*topics;	/* name: Petrel__TopicConfig */
};

/* An empty cache. */
struct topiccache *
topiccache_new(void)
{
	struct topiccache	*tc;

	tc = xcalloc(1, sizeof *tc);
	tc->topics = strmap_new();
	return (tc);
}

/* Free a cache and its topics. */
void
topiccache_free(struct topiccache *tc)
{
	if (tc == NULL)
		return;
	strmap_free(tc->topics, msg_free);
	free(tc);
}

/* Replace the whole cache with a copy of table. */
void
topiccache_load(struct topiccache *tc, const Petrel__TopicTable *table)
{
	size_t	i;

	strmap_free(tc->topics, msg_free);
	tc->topics = strmap_new();
	for (i = 0; i < table->n_topics; i++)
		topiccache_put(tc, table->topics[i]);
}

/* Add a copy of one topic, replacing the old one of that name. */
void
topiccache_put(struct topiccache *tc, const Petrel__TopicConfig *t)
{
	msg_free(strmap_put(tc->topics, t->name, msg_dup(t)));
}

/* The topic called name, or NULL. */
const Petrel__TopicConfig *
topiccache_get(struct topiccache *tc, const char *name)
{
	return (strmap_get(tc->topics, name));
}

/* How many topics there are. */
size_t
topiccache_count(struct topiccache *tc)
{
	return (strmap_count(tc->topics));
}
