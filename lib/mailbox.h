/*
 * An actor's mailbox: a multi-producer single-consumer queue of mail
 * nodes, after Pony's actor/messageq.c (Dmitry Vyukov's intrusive MPSC
 * queue).  Any thread may push; only the owner pops.  The queue keeps an
 * "empty" mark in the low bit of its head: the consumer sets it when it
 * finds nothing left, and the one push that clears it learns the box was
 * empty, so exactly one push wakes the consumer per empty to non-empty
 * transition.
 *
 * The struct is public only so struct actor can embed it; callers use the
 * functions.
 */
#ifndef MAILBOX_H
#define MAILBOX_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "actor.h"

#define MAILBOX_LINE	64	/* cache line: producers and consumer apart */

/* One queued message and how to answer it. */
struct mail {
	_Atomic(struct mail *)	 next;
	void			*msg;
	struct envelope		 env;
	uint64_t		 tag;	/* runtime's own: timer generation */
};

struct mailbox {
	/* Written by every producer. */
	_Alignas(MAILBOX_LINE) _Atomic(uintptr_t) head;	/* newest | empty */
	_Atomic(uint64_t)	 pushed;
	_Atomic(uint64_t)	 wakes;
	/* Written by the consumer only. */
	_Alignas(MAILBOX_LINE) struct mail *tail;	/* stub: already taken */
	_Atomic(uint64_t)	 popped;
};

void		 mailbox_init(struct mailbox *);
void		 mailbox_fini(struct mailbox *, void (*)(void *));
struct mail	*mailbox_mail_new(void);
void		 mailbox_mail_free(struct mail *);
int		 mailbox_push(struct mailbox *, struct mail *);
struct mail	*mailbox_pop(struct mailbox *);
struct mail	*mailbox_last(struct mailbox *);
int		 mailbox_mark_empty(struct mailbox *);
size_t		 mailbox_depth(struct mailbox *);
uint64_t	 mailbox_wakes(struct mailbox *);

#endif /* MAILBOX_H */
