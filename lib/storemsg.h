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

/* A property of a record, not NUL-terminated (storemsg_prop_next). */
struct storemsg_prop {
	const char	*name, *value;
	size_t		 name_len, value_len;
	enum {
		STOREMSG_PROP_USER,
		STOREMSG_PROP_KEYS,	/* COMMITLOG_PROP_KEYS */
		STOREMSG_PROP_TAGS,
		STOREMSG_PROP_UNIQ
	}		 kind;
};

ssize_t		 storemsg_props_len(const Petrel__StoreMessage *, char **);
size_t		 storemsg_props_write(const Petrel__StoreMessage *, char *);
void		 storemsg_to_record(const Petrel__StoreMessage *, char *,
		    size_t, struct commitlog_msg *);
Petrel__StoreMessage *storemsg_from_record(const struct commitlog_msg *);
int		 storemsg_prop_next(const char **, const char *,
		    struct storemsg_prop *);
int		 storemsg_prop_kind(const char *, size_t);

#endif /* STOREMSG_H */
