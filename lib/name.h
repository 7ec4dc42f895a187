/*
 * Topic and group names: one rule for the client (lib/client.c), the
 * broker (actors/brokerlib.c), the name server (actors/route_manager.c)
 * and the store (lib/commitlog.c).  A name is 1 to NAME_LEN_MAX bytes of
 * [A-Za-z0-9_%-]: a topic names a folder of the store, so no '/' or '.'.
 * Names starting with '%' are the broker's own (%RETRY%<group>,
 * %DLQ%<group>, %DELAY%); who may use them is each caller's rule.
 */
#ifndef NAME_H
#define NAME_H

#include <stddef.h>

#define NAME_LEN_MAX	127	/* bytes of a topic or group name */

/*
 * Whether c may be in a topic or group name.  ASCII by hand, not
 * isalnum(3), whose answer depends on the locale; inline because the
 * client checks every message it sends.
 */
static inline int
name_char_ok(char c)
{
	return ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '%');
}

/*
 * Whether c may be in a cluster or broker name: a topic's characters,
 * '.' and '|'.  The name server checks what brokers register with it, the
 * broker its configuration file.
 */
static inline int
name_node_char_ok(char c)
{
	return (name_char_ok(c) || c == '.' || c == '|');
}

/*
 * How many bytes at the start of s a topic or group name (node 0), or a
 * cluster or broker name (node 1), may hold: its length if it may hold
 * them all.
 */
static inline size_t
name_span(const char *s, int node)
{
	size_t	i;

	for (i = 0; s[i] != '\0' && (node ? name_node_char_ok(s[i]) :
	    name_char_ok(s[i])); i++)
		continue;
	return (i);
}

#endif /* NAME_H */
