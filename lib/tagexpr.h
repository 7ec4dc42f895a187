/*
 * Subscription expressions of consumers: "*" (or "") takes every message,
 * "TagA || TagB" those whose tag is one of the list.  The broker filters by
 * the tags' hashes (consumequeue_tag_hash()), the client then by string.
 */
#ifndef TAGEXPR_H
#define TAGEXPR_H

#include <stddef.h>
#include <stdint.h>

#define TAGEXPR_TAGS_MAX	64	/* tags of an expression (the broker's) */
#define TAGEXPR_TAG_MAX		255	/* bytes of one tag */

struct tagexpr {
	int		  all;		/* "*": every message */
	char		**tags;		/* distinct, in the order written */
	uint64_t	 *hashes;	/* hash of each tag */
	size_t		  ntags;
};

int	tagexpr_parse(const char *, struct tagexpr *, char **);
void	tagexpr_clear(struct tagexpr *);
int	tagexpr_match(const struct tagexpr *, const char *);
uint64_t tagexpr_hash(const char *);

#endif /* TAGEXPR_H */
