#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "json.h"
#include "lease.h"
#include "licmon.h"

#define MAX_BODY 65536
#define LEEWAY 60

struct lm_client {
    char *server, *key, *product, *machine, *state_dir;
    long timeout, process;
    lm_keys keys;
    char lease[8192];        /* the last verified lease, "" without one */
    lm_claims claims;
    char installation[64];   /* the lease chain: this installation's secret */
    char last_lease_id[72];  /* and the last lease id it got */
};

typedef struct {
    char *data;
    size_t len;
    long retry_after;
} answer;

static char *copy(const char *text) { return text ? strdup(text) : NULL; }

static void path_of(const lm_client *c, const char *what, char *out, size_t size) {
    snprintf(out, size, "%s/%s-%s", c->state_dir, what, c->product);
}

/* Owner-only, atomically: a reader sees the old file or the new one, never half. */
static int write_private(const char *path, const char *text) {
    char temporary[4200];
    snprintf(temporary, sizeof temporary, "%s.%ld.tmp", path, (long)getpid());
    int fd = open(temporary, O_CREAT | O_EXCL | O_WRONLY | O_TRUNC, 0600);
    if (fd < 0) return -1;
    size_t len = strlen(text);
    int ok = write(fd, text, len) == (ssize_t)len && fsync(fd) == 0;
    ok = close(fd) == 0 && ok;
    if (!ok || rename(temporary, path) != 0) {
        unlink(temporary);
        return -1;
    }
    return 0;
}

static void random_id(char *out, size_t size) {
    unsigned char raw[32];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2base64(out, size, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

/* Instances of the program on this machine share one chain: one check-in holds it at a
 * time (an advisory lock), reading it again first. -1: nothing to unlock. */
static int chain_turn(const lm_client *c) {
    if (c->state_dir == NULL) return -1;
    char path[4096];
    path_of(c, ".chain-lock", path, sizeof path);
    int fd = open(path, O_CREAT | O_RDWR, 0600);
    if (fd >= 0) flock(fd, LOCK_EX);
    return fd;
}

static void end_turn(int fd) {
    if (fd >= 0) close(fd); /* releases the lock */
}

static void load_chain(lm_client *c) {
    if (c->state_dir == NULL) return;
    char path[4096], text[160];
    path_of(c, "chain", path, sizeof path);
    char *saved = lm_read_file(path, 200, NULL);
    char secret[64], last[72] = "";
    int found = saved != NULL && sscanf(saved, "%63s %71s", secret, last) >= 1;
    free(saved);
    if (found) {
        snprintf(c->installation, sizeof c->installation, "%s", secret);
        snprintf(c->last_lease_id, sizeof c->last_lease_id, "%s", last);
        return;
    }
    snprintf(text, sizeof text, "%s %s\n", c->installation, c->last_lease_id);
    write_private(path, text);
}

static void save_chain(const lm_client *c) {
    if (c->state_dir == NULL) return;
    char path[4096], text[160];
    path_of(c, "chain", path, sizeof path);
    snprintf(text, sizeof text, "%s %s\n", c->installation, c->last_lease_id);
    write_private(path, text);
}

static void load_saved_lease(lm_client *c) {
    if (c->state_dir == NULL) return;
    char path[4096], why[160];
    path_of(c, "lease", path, sizeof path);
    char *token = lm_read_file(path, sizeof c->lease - 1, NULL);
    if (token == NULL) return;
    token[strcspn(token, "\r\n")] = '\0';
    lm_expect expect = {c->product, c->machine, NULL, (long long)time(NULL), LEEWAY, 0};
    if (lm_verify_lease(token, &c->keys, &expect, &c->claims, why, sizeof why) == 0)
        snprintf(c->lease, sizeof c->lease, "%s", token);
    free(token);
}

lm_client *lm_client_new(const lm_options *o) {
    if (!o || !o->server || !o->key || !o->product || !o->machine || !o->trust_jwks) {
        fprintf(stderr, "licmon: server, key, product, machine and trust_jwks are needed\n");
        return NULL;
    }
    if (sodium_init() < 0 || curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) return NULL;
    lm_client *c = calloc(1, sizeof *c);
    if (c == NULL) return NULL;
    if (lm_keys_from_file(o->trust_jwks, &c->keys) < 0) {
        fprintf(stderr, "licmon: no Ed25519 key in the trusted JWKS file\n");
        free(c);
        return NULL;
    }
    c->server = copy(o->server);
    c->key = copy(o->key);
    c->product = copy(o->product);
    c->machine = copy(o->machine);
    c->state_dir = copy(o->state_dir);
    c->timeout = o->timeout_seconds > 0 ? o->timeout_seconds : 10;
    c->process = o->process;
    if (c->state_dir) mkdir(c->state_dir, 0700);
    random_id(c->installation, sizeof c->installation);
    load_chain(c);
    load_saved_lease(c);
    return c;
}

void lm_client_free(lm_client *c) {
    if (c == NULL) return;
    free(c->server);
    free(c->key);
    free(c->product);
    free(c->machine);
    free(c->state_dir);
    sodium_memzero(c, sizeof *c);
    free(c);
}

/* A JSON string: quotes, backslashes and control characters escaped. */
static void put_string(char *out, size_t size, const char *name, const char *value) {
    size_t n = strlen(out);
    n += (size_t)snprintf(out + n, n < size ? size - n : 0, "%s\"%s\":\"", n > 1 ? "," : "", name);
    for (const char *p = value; *p && n + 8 < size; p++) {
        unsigned char ch = (unsigned char)*p;
        if (ch == '"' || ch == '\\') {
            out[n++] = '\\';
            out[n++] = (char)ch;
        } else if (ch < 0x20) {
            n += (size_t)snprintf(out + n, size - n, "\\u%04x", ch);
        } else {
            out[n++] = (char)ch;
        }
    }
    if (n + 2 < size) {
        out[n++] = '"';
        out[n] = '\0';
    }
}

static size_t on_body(char *data, size_t size, size_t count, void *user) {
    answer *a = user;
    size_t n = size * count;
    if (a->len + n > MAX_BODY) return 0;
    char *grown = realloc(a->data, a->len + n + 1);
    if (grown == NULL) return 0;
    memcpy(grown + a->len, data, n);
    a->data = grown;
    a->len += n;
    a->data[a->len] = '\0';
    return n;
}

static size_t on_header(char *data, size_t size, size_t count, void *user) {
    answer *a = user;
    size_t n = size * count;
    if (n > 12 && strncasecmp(data, "Retry-After:", 12) == 0) {
        char *end;
        long seconds = strtol(data + 12, &end, 10);
        if (end != data + 12 && seconds >= 0 && seconds <= 86400) a->retry_after = seconds;
    }
    return n;
}

/* The HTTP status, or 0 when no answer came (answer->data holds the body). */
static long post(const lm_client *c, const char *route, const char *body, answer *a) {
    char url[2048];
    snprintf(url, sizeof url, "%s%s", c->server, route);
    CURL *curl = curl_easy_init();
    if (curl == NULL) return 0;
    struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, c->timeout);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, a);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, a);
    long status = 0;
    if (curl_easy_perform(curl) == CURLE_OK)
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    return status;
}

static void request_body(const lm_client *c, const char *nonce, char *body, size_t size) {
    snprintf(body, size, "{");
    put_string(body, size, "key", c->key);
    put_string(body, size, "product", c->product);
    put_string(body, size, "machine", c->machine);
    put_string(body, size, "nonce", nonce);
    put_string(body, size, "installation", c->installation);
    if (c->last_lease_id[0]) put_string(body, size, "previous", c->last_lease_id);
    size_t n = strlen(body);
    if (c->process > 0) snprintf(body + n, size - n, ",\"process\":%ld", c->process);
    n = strlen(body);
    snprintf(body + n, size - n, "}");
}

static void offline(lm_client *c, lm_status *s, const char *problem) {
    long long now = (long long)time(NULL);
    long long until = c->claims.grace_until > c->claims.exp ? c->claims.grace_until : c->claims.exp;
    s->outcome = LM_OFFLINE;
    s->licensed = c->lease[0] != '\0' && now < until;
    snprintf(s->problem, sizeof s->problem, "%s", problem);
}

static void forget_lease(lm_client *c) {
    c->lease[0] = '\0';
    memset(&c->claims, 0, sizeof c->claims);
    if (c->state_dir == NULL) return;
    char path[4096];
    path_of(c, "lease", path, sizeof path);
    unlink(path);
}

static void granted(lm_client *c, lm_status *s, const char *token, const lm_claims *claims) {
    snprintf(c->lease, sizeof c->lease, "%s", token);
    c->claims = *claims;
    if (claims->jti[0]) snprintf(c->last_lease_id, sizeof c->last_lease_id, "%s", claims->jti);
    save_chain(c);
    if (c->state_dir) {
        char path[4096];
        path_of(c, "lease", path, sizeof path);
        write_private(path, token);
    }
    s->outcome = LM_GRANTED;
    s->licensed = 1;
}

static void judge(lm_client *c, lm_status *s, long status, const answer *a, const char *nonce) {
    char token[8192], why[160];
    lm_span v;
    if (status == 200 && lm_json_member(a->data, a->len, "lease", &v) == 0 &&
        lm_json_string(v, token, sizeof token) == 0) {
        lm_claims claims;
        lm_expect expect = {c->product, c->machine, nonce, (long long)time(NULL), LEEWAY, 0};
        if (lm_verify_lease(token, &c->keys, &expect, &claims, why, sizeof why) == 0) {
            granted(c, s, token, &claims);
        } else {
            char problem[200];
            snprintf(problem, sizeof problem, "the server's answer could not be verified: %s", why);
            offline(c, s, problem);
        }
    } else if (status == 403 && lm_json_member(a->data, a->len, "reason", &v) == 0 &&
               lm_json_string(v, s->reason, sizeof s->reason) == 0) {
        forget_lease(c);
        s->outcome = LM_DENIED;
        s->licensed = 0;
    } else {
        char problem[64];
        snprintf(problem, sizeof problem,
                 status ? "the license server answered %ld" : "the license server is unreachable",
                 status);
        offline(c, s, problem);
        s->retry_after = a->retry_after;
    }
}

int lm_checkin(lm_client *c, lm_status *s) {
    char nonce[64], body[4096];
    memset(s, 0, sizeof *s);
    s->retry_after = -1;
    random_id(nonce, sizeof nonce);
    int turn = chain_turn(c);
    load_chain(c);
    request_body(c, nonce, body, sizeof body);
    answer a = {NULL, 0, -1};
    long status = post(c, "/v1/checkin", body, &a);
    if (a.data == NULL) a.data = calloc(1, 1);
    judge(c, s, status, &a, nonce);
    end_turn(turn);
    free(a.data);
    s->expires_at = c->claims.exp;
    s->grace_until = c->claims.grace_until;
    s->seats = c->claims.seats;
    s->seats_in_use = c->claims.seats_in_use;
    return s->outcome;
}

int lm_checkin_retrying(lm_client *c, lm_status *s, int attempts, long max_wait) {
    long waited = 0, backoff = 1;
    for (int attempt = 1;; attempt++) {
        if (lm_checkin(c, s) != LM_OFFLINE || attempt >= attempts) return s->outcome;
        long delay = s->retry_after >= 0 ? s->retry_after : backoff;
        backoff *= 2;
        if (waited + delay > max_wait) return s->outcome;
        waited += delay;
        sleep((unsigned)delay);
    }
}

long lm_renew_in(const lm_client *c) {
    long long half = (c->claims.exp - (long long)time(NULL)) / 2;
    return half > 1 ? (long)half : 1;
}

int lm_release(lm_client *c) {
    char body[4096];
    snprintf(body, sizeof body, "{");
    put_string(body, sizeof body, "key", c->key);
    put_string(body, sizeof body, "product", c->product);
    put_string(body, sizeof body, "machine", c->machine);
    size_t n = strlen(body);
    if (c->process > 0) snprintf(body + n, sizeof body - n, ",\"process\":%ld", c->process);
    n = strlen(body);
    snprintf(body + n, sizeof body - n, "}");
    answer a = {NULL, 0, -1};
    long status = post(c, "/v1/release", body, &a);
    free(a.data);
    if (status != 200) return -1;
    forget_lease(c);
    return 0;
}

int lm_verify_license_file(const char *path, const char *trust_jwks, const char *product,
                           const char *machine, long long now, char *why, unsigned long size) {
    lm_keys keys;
    lm_claims claims;
    if (sodium_init() < 0) return -1;
    if (lm_keys_from_file(trust_jwks, &keys) < 0) {
        snprintf(why, size, "no Ed25519 key in the trusted JWKS file");
        return -1;
    }
    char *token = lm_read_file(path, 8191, NULL);
    if (token == NULL) {
        snprintf(why, size, "the license file cannot be read");
        return -1;
    }
    token[strcspn(token, " \r\n")] = '\0';
    lm_expect expect = {product, machine, NULL, now, 0, 1};
    int result = lm_verify_lease(token, &keys, &expect, &claims, why, size);
    free(token);
    return result;
}
