/*
 * Between the store actors' Petrel__StoreMessage (proto/store.proto) and
 * commit log records (commitlog.h).
 */
#ifndef STOREMSG_H
#define STOREMSG_H

#include <stddef.h>
#include <sys/types.h>

#include "commitlog.h"
#include "store.pb-c.h"

ssize_t		 storemsg_props_len(const Petrel__StoreMessage *, char **);
size_t		 storemsg_props_write(const Petrel__StoreMessage *, char *);
void		 storemsg_to_record(const Petrel__StoreMessage *, char *,
		    size_t, struct commitlog_msg *);
Petrel__StoreMessage *storemsg_from_record(const struct commitlog_msg *);

#endif /* STOREMSG_H */
