/* Lease verification: trusted keys from a JWKS, and the checks a lease must pass. */
#ifndef LM_LEASE_H
#define LM_LEASE_H

#include <sodium.h>
#include <stddef.h>

#define LM_MAX_KEYS 8

typedef struct {
    char kid[80];
    unsigned char public_key[crypto_sign_PUBLICKEYBYTES];
} lm_key;

typedef struct {
    lm_key keys[LM_MAX_KEYS];
    size_t count;
} lm_keys;

typedef struct {
    const char *product;
    const char *machine;
    const char *nonce; /* NULL: a lease read back from disk, or an offline file */
    long long now;
    long long leeway;
    int offline;       /* must carry offline: true */
} lm_expect;

typedef struct {
    long long iat, exp, grace_until, seats, seats_in_use;
    char jti[72];
} lm_claims;

int lm_keys_from_jwks(const char *json, size_t len, lm_keys *keys);
int lm_keys_from_file(const char *path, lm_keys *keys);
/* 0 when the token passes every check; -1 with a plain reason in why. */
int lm_verify_lease(const char *token, const lm_keys *keys, const lm_expect *expect,
                    lm_claims *claims, char *why, size_t why_size);
/* The whole file, NUL-terminated (malloc'd), or NULL. */
char *lm_read_file(const char *path, size_t max, size_t *len);

#endif
