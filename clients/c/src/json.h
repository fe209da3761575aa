/* A small, strict reader of the JSON licmon sends: find a member of an object, read a
 * string or a whole number. Nothing is allocated; values are spans of the input. */
#ifndef LM_JSON_H
#define LM_JSON_H

#include <stddef.h>

typedef struct {
    const char *start; /* the value's first character */
    size_t len;        /* its length in the input */
} lm_span;

/* The member `key` of the object `json` (len bytes); 0 when found, -1 otherwise. */
int lm_json_member(const char *json, size_t len, const char *key, lm_span *value);
/* The index-th element of the array `json`; 0 when found, -1 otherwise. */
int lm_json_element(const char *json, size_t len, size_t index, lm_span *value);
/* The string value (escapes decoded, NUL-terminated in out); -1 if not a string or too long. */
int lm_json_string(lm_span value, char *out, size_t out_size);
/* The whole-number value; -1 if it is not one. */
int lm_json_int(lm_span value, long long *out);
/* 1 for true, 0 for false, -1 otherwise. */
int lm_json_bool(lm_span value);

#endif
