/*
 * An output-only JSON emitter.  Values are appended to a growing buffer
 * that always holds valid JSON once every object and array is closed:
 * strings are escaped (quotes, backslashes, control characters) and bytes
 * that are not UTF-8 become U+FFFD.  Inside an object every value takes a
 * key; elsewhere the key is NULL.  Misuse (a value without its key, a close
 * that does not match) is a bug in the caller and fatal.
 */
#ifndef JSON_H
#define JSON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_PRETTY	0x1		/* newlines and two-space indents */

struct json;

struct json	*json_new(int);
void		 json_free(struct json *);
void		 json_object_open(struct json *, const char *);
void		 json_object_close(struct json *);
void		 json_array_open(struct json *, const char *);
void		 json_array_close(struct json *);
void		 json_string(struct json *, const char *, const char *);
void		 json_stringn(struct json *, const char *, const char *,
		     size_t);
void		 json_int(struct json *, const char *, int64_t);
void		 json_uint(struct json *, const char *, uint64_t);
void		 json_double(struct json *, const char *, double);
void		 json_bool(struct json *, const char *, int);
void		 json_null(struct json *, const char *);
int		 json_done(struct json *);
const char	*json_buffer(struct json *, size_t *);
int		 json_write(struct json *, FILE *);

#endif /* JSON_H */
