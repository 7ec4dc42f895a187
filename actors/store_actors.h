/*
 * The broker's store actors (DESIGN.md "Storage"): commit log writer,
 * flusher, dispatcher and cleaner, speaking proto/store.proto.
 *
 * Compose them so: spawn the dispatcher, the flusher (on a loop of its
 * own: it blocks in fdatasync), the writer, then the cleaner; the writer
 * never blocks (pwrite(2) into the page cache) and may share the loop of
 * those who ask it, and the dispatcher (which serves reads and flushes
 * consume queues) is best away from it; then send the dispatcher a
 * StoreConfig naming the others.  It opens and recovers the
 * store, configures the writer (WriterConfig) and flusher (FlusherConfig)
 * and answers Configured once the store is open.  Spawned in that order,
 * actor_stop_all() stops the cleaner, then the writer (answering what it
 * holds), then the flusher (a last flush), then the dispatcher (a last
 * checkpoint, and the abort marker removed): a clean stop.
 *
 * Producers ask the writer with PutRequest and get PutResponse.  Readers
 * ask the dispatcher with GetRequest, QueueInfoRequest and LookupRequest.
 * Watchers named in StoreConfig get QueuesArrived after each dispatch
 * (only those naming their topic, if StoreConfig.watcher_topics says
 * one).
 */
#ifndef STORE_ACTORS_H
#define STORE_ACTORS_H

#include "actor.h"

extern const struct actor_type	commitlog_writer_actor;
extern const struct actor_type	flusher_actor;
extern const struct actor_type	dispatcher_actor;
extern const struct actor_type	cleaner_actor;

/* For tests: the cleaner's disk usage source (percent used of root). */
typedef int (*cleaner_usage_fn)(const char *, unsigned *, char **);
void	cleaner_set_usage(struct actor *, cleaner_usage_fn);

#endif /* STORE_ACTORS_H */
