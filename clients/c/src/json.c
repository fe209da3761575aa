#include "json.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 32

typedef struct {
    const char *p;
    const char *end;
} cursor;

static void skip_space(cursor *c) {
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
        c->p++;
}

static int skip_value(cursor *c, int depth);

static int skip_string(cursor *c) {
    if (c->p >= c->end || *c->p != '"') return -1;
    for (c->p++; c->p < c->end; c->p++) {
        if (*c->p == '\\') {
            if (++c->p >= c->end) return -1;
        } else if (*c->p == '"') {
            c->p++;
            return 0;
        } else if ((unsigned char)*c->p < 0x20) {
            return -1;
        }
    }
    return -1;
}

static int skip_container(cursor *c, char close, int depth) {
    c->p++;
    skip_space(c);
    if (c->p < c->end && *c->p == close) {
        c->p++;
        return 0;
    }
    for (;;) {
        if (close == '}') {
            if (skip_string(c) < 0) return -1;
            skip_space(c);
            if (c->p >= c->end || *c->p++ != ':') return -1;
        }
        if (skip_value(c, depth + 1) < 0) return -1;
        skip_space(c);
        if (c->p >= c->end) return -1;
        if (*c->p == close) {
            c->p++;
            return 0;
        }
        if (*c->p++ != ',') return -1;
        skip_space(c);
    }
}

static int skip_value(cursor *c, int depth) {
    if (depth > MAX_DEPTH) return -1;
    skip_space(c);
    if (c->p >= c->end) return -1;
    switch (*c->p) {
    case '"':
        return skip_string(c);
    case '{':
        return skip_container(c, '}', depth);
    case '[':
        return skip_container(c, ']', depth);
    default: {
        const char *start = c->p;
        while (c->p < c->end && strchr("+-0123456789.eEtruefalsn", *c->p)) c->p++;
        return c->p > start ? 0 : -1;
    }
    }
}

static int value_at(cursor *c, lm_span *value) {
    skip_space(c);
    const char *start = c->p;
    if (skip_value(c, 0) < 0) return -1;
    value->start = start;
    value->len = (size_t)(c->p - start);
    return 0;
}

int lm_json_member(const char *json, size_t len, const char *key, lm_span *value) {
    cursor c = {json, json + len};
    skip_space(&c);
    if (c.p >= c.end || *c.p != '{') return -1;
    c.p++;
    skip_space(&c);
    if (c.p < c.end && *c.p == '}') return -1;
    char name[128];
    for (;;) {
        const char *name_start = c.p;
        if (skip_string(&c) < 0) return -1;
        lm_span name_span = {name_start, (size_t)(c.p - name_start)};
        int named = lm_json_string(name_span, name, sizeof name) == 0 && strcmp(name, key) == 0;
        skip_space(&c);
        if (c.p >= c.end || *c.p++ != ':') return -1;
        lm_span found;
        if (value_at(&c, &found) < 0) return -1;
        if (named) {
            *value = found;
            return 0;
        }
        skip_space(&c);
        if (c.p >= c.end || *c.p++ != ',') return -1;
        skip_space(&c);
    }
}

int lm_json_element(const char *json, size_t len, size_t index, lm_span *value) {
    cursor c = {json, json + len};
    skip_space(&c);
    if (c.p >= c.end || *c.p != '[') return -1;
    c.p++;
    skip_space(&c);
    if (c.p < c.end && *c.p == ']') return -1;
    for (size_t i = 0;; i++) {
        lm_span found;
        if (value_at(&c, &found) < 0) return -1;
        if (i == index) {
            *value = found;
            return 0;
        }
        skip_space(&c);
        if (c.p >= c.end || *c.p++ != ',') return -1;
    }
}

static int hex4(const char *p, unsigned *out) {
    char digits[5] = {0};
    memcpy(digits, p, 4);
    char *end;
    unsigned long v = strtoul(digits, &end, 16);
    if (end != digits + 4) return -1;
    *out = (unsigned)v;
    return 0;
}

int lm_json_string(lm_span value, char *out, size_t out_size) {
    if (value.len < 2 || value.start[0] != '"' || value.start[value.len - 1] != '"') return -1;
    size_t n = 0;
    for (size_t i = 1; i + 1 < value.len; i++) {
        char ch = value.start[i];
        if (ch == '\\') {
            char esc = value.start[++i];
            const char *plain = strchr("\"\\/bfnrt", esc);
            if (esc == 'u') {
                unsigned code;
                if (i + 4 >= value.len || hex4(value.start + i + 1, &code) < 0) return -1;
                if (code == 0 || code > 0x7f) return -1; /* licmon's protocol text is ASCII */
                ch = (char)code;
                i += 4;
            } else if (plain != NULL) {
                ch = "\"\\/\b\f\n\r\t"[plain - "\"\\/bfnrt"];
            } else {
                return -1;
            }
        }
        if (n + 1 >= out_size) return -1;
        out[n++] = ch;
    }
    out[n] = '\0';
    return 0;
}

int lm_json_int(lm_span value, long long *out) {
    char digits[24];
    if (value.len == 0 || value.len >= sizeof digits) return -1;
    memcpy(digits, value.start, value.len);
    digits[value.len] = '\0';
    char *end;
    errno = 0;
    long long v = strtoll(digits, &end, 10);
    if (errno != 0 || *end != '\0' || (digits[0] != '-' && (digits[0] < '0' || digits[0] > '9')))
        return -1;
    *out = v;
    return 0;
}

int lm_json_bool(lm_span value) {
    if (value.len == 4 && memcmp(value.start, "true", 4) == 0) return 1;
    if (value.len == 5 && memcmp(value.start, "false", 5) == 0) return 0;
    return -1;
}
