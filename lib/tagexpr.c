/*
 * Parses and matches subscription expressions.  Grammar: blanks around
 * everything are ignored; "" and "*" mean every message; otherwise one or
 * more tags separated by "||", each 1-255 bytes of printable characters
 * other than blanks, '*' and '|'.  Repeated tags count once.  Anything else
 * ("a ||", "a | b", "a b", "* || a") is refused with a reason.
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "consumequeue.h"
#include "tagexpr.h"
#include "xmalloc.h"

/* Whether c may appear in a tag. */
static int
tagexpr_tag_char(int c)
{
	return (c > ' ' && c < 0x7f && c != '*' && c != '|') || c >= 0x80;
}

/* Add tag (len bytes) to e unless it is there already. */
static void
tagexpr_add(struct tagexpr *e, const char *tag, size_t len)
{
	size_t	i;

	for (i = 0; i < e->ntags; i++) {
		if (strlen(e->tags[i]) == len &&
		    memcmp(e->tags[i], tag, len) == 0)
			return;
	}
	e->tags = xreallocarray(e->tags, e->ntags + 1, sizeof *e->tags);
	e->hashes = xreallocarray(e->hashes, e->ntags + 1, sizeof *e->hashes);
	e->tags[e->ntags] = xstrndup(tag, len);
	e->hashes[e->ntags] = consumequeue_tag_hash(tag, len);
	e->ntags++;
}

/*
 * Parse s into e (cleared first; the caller clears it after use).  0, or
 * -1 with *cause set and e left empty.
 */
int
tagexpr_parse(const char *s, struct tagexpr *e, char **cause)
{
	const unsigned char	*p = (const unsigned char *)s, *t;
	size_t			 len;

	memset(e, 0, sizeof *e);
	while (isblank(*p))
		p++;
	if (*p == '\0' || (p[0] == '*' && (p[1] == '\0' || isblank(p[1])))) {
		if (*p == '*')
			p++;
		while (isblank(*p))
			p++;
		if (*p != '\0') {
			*cause = xstrdup("\"*\" cannot be combined with tags");
			return (-1);
		}
		e->all = 1;
		return (0);
	}
	for (;;) {
		while (isblank(*p))
			p++;
		for (t = p; tagexpr_tag_char(*t); t++)
			/* nothing */;
		len = (size_t)(t - p);
		if (len == 0) {
			if (*t == '*')
				*cause = xstrdup("\"*\" cannot be combined "
				    "with tags");
			else if (*t == '\0' || *t == '|')
				*cause = xstrdup("empty tag in expression");
			else
				xasprintf(cause, "bad character 0x%02x in "
				    "expression", *t);
			goto fail;
		}
		if (len > TAGEXPR_TAG_MAX) {
			xasprintf(cause, "tag longer than %d bytes",
			    TAGEXPR_TAG_MAX);
			goto fail;
		}
		tagexpr_add(e, (const char *)p, len);
		if (e->ntags > TAGEXPR_TAGS_MAX) {
			xasprintf(cause, "more than %d tags",
			    TAGEXPR_TAGS_MAX);
			goto fail;
		}
		p = t;
		while (isblank(*p))
			p++;
		if (*p == '\0')
			return (0);
		if (p[0] != '|' || p[1] != '|') {
			if (*p == '|')
				*cause = xstrdup("tags are separated by "
				    "\"||\"");
			else if (tagexpr_tag_char(*p))
				*cause = xstrdup("tags are separated by "
				    "\"||\", not blanks");
			else
				xasprintf(cause, "bad character 0x%02x in "
				    "expression", *p);
			goto fail;
		}
		p += 2;
	}

fail:
	tagexpr_clear(e);
	return (-1);
}

/* Free what tagexpr_parse() allocated in e. */
void
tagexpr_clear(struct tagexpr *e)
{
	size_t	i;

	for (i = 0; i < e->ntags; i++)
		free(e->tags[i]);
	free(e->tags);
	free(e->hashes);
	memset(e, 0, sizeof *e);
}

/* Whether a message with tag ("" or NULL for none) matches e. */
int
tagexpr_match(const struct tagexpr *e, const char *tag)
{
	size_t	i;

	if (e->all)
		return (1);
	if (tag == NULL || *tag == '\0')
		return (0);
	for (i = 0; i < e->ntags; i++) {
		if (strcmp(e->tags[i], tag) == 0)
			return (1);
	}
	return (0);
}

/* The broker's hash of a tag (0 for none). */
uint64_t
tagexpr_hash(const char *tag)
{
	return (consumequeue_tag_hash(tag, tag == NULL ? 0 : strlen(tag)));
}
