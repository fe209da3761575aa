#include "lease.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

#define MAX_TOKEN 8192

static void say(char *why, size_t size, const char *message) { snprintf(why, size, "%s", message); }

char *lm_read_file(const char *path, size_t max, size_t *len) {
    FILE *file = fopen(path, "rb");
    if (file == NULL) return NULL;
    char *data = malloc(max + 1);
    size_t n = data ? fread(data, 1, max + 1, file) : 0;
    int failed = data == NULL || ferror(file) || n > max;
    fclose(file);
    if (failed) {
        free(data);
        return NULL;
    }
    data[n] = '\0';
    if (len) *len = n;
    return data;
}

static int base64url(const char *text, size_t text_len, unsigned char *out, size_t out_size,
                     size_t *out_len) {
    return sodium_base642bin(out, out_size, text, text_len, NULL, out_len, NULL,
                             sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

static int add_key(lm_keys *keys, const char *json, size_t len) {
    char kty[16], crv[16], x[64];
    lm_span v;
    lm_key *key = &keys->keys[keys->count];
    if (lm_json_member(json, len, "kty", &v) || lm_json_string(v, kty, sizeof kty)) return 0;
    if (lm_json_member(json, len, "crv", &v) || lm_json_string(v, crv, sizeof crv)) return 0;
    if (strcmp(kty, "OKP") != 0 || strcmp(crv, "Ed25519") != 0) return 0;
    if (lm_json_member(json, len, "kid", &v) || lm_json_string(v, key->kid, sizeof key->kid))
        return 0;
    if (lm_json_member(json, len, "x", &v) || lm_json_string(v, x, sizeof x)) return 0;
    size_t n = 0;
    if (base64url(x, strlen(x), key->public_key, sizeof key->public_key, &n) != 0 ||
        n != crypto_sign_PUBLICKEYBYTES)
        return 0;
    keys->count++;
    return 1;
}

int lm_keys_from_jwks(const char *json, size_t len, lm_keys *keys) {
    lm_span list, item;
    keys->count = 0;
    if (lm_json_member(json, len, "keys", &list) < 0) return -1;
    for (size_t i = 0; keys->count < LM_MAX_KEYS; i++) {
        if (lm_json_element(list.start, list.len, i, &item) < 0) break;
        add_key(keys, item.start, item.len);
    }
    return keys->count > 0 ? 0 : -1;
}

int lm_keys_from_file(const char *path, lm_keys *keys) {
    size_t len;
    char *json = lm_read_file(path, 65536, &len);
    if (json == NULL) return -1;
    int result = lm_keys_from_jwks(json, len, keys);
    free(json);
    return result;
}

static const lm_key *key_by_id(const lm_keys *keys, const char *kid) {
    for (size_t i = 0; i < keys->count; i++)
        if (strcmp(keys->keys[i].kid, kid) == 0) return &keys->keys[i];
    return NULL;
}

static int member_string(const char *json, size_t len, const char *name, char *out, size_t n) {
    lm_span v;
    return lm_json_member(json, len, name, &v) == 0 ? lm_json_string(v, out, n) : -1;
}

static int member_int(const char *json, size_t len, const char *name, long long *out) {
    lm_span v;
    return lm_json_member(json, len, name, &v) == 0 ? lm_json_int(v, out) : -1;
}

/* The header names EdDSA and a trusted key; the signature over header.payload matches. */
static int check_signature(const char *token, const char *dot1, const char *dot2,
                           const lm_keys *keys, char *why, size_t why_size) {
    unsigned char header[1024], signature[crypto_sign_BYTES];
    size_t header_len = 0, signature_len = 0;
    char alg[16], kid[80];
    if (base64url(token, (size_t)(dot1 - token), header, sizeof header - 1, &header_len) != 0) {
        say(why, why_size, "the lease is not a JWT");
        return -1;
    }
    const char *h = (const char *)header;
    if (member_string(h, header_len, "alg", alg, sizeof alg) || strcmp(alg, "EdDSA") != 0) {
        say(why, why_size, "the lease is not signed with EdDSA");
        return -1;
    }
    const lm_key *key = NULL;
    if (member_string(h, header_len, "kid", kid, sizeof kid) == 0) key = key_by_id(keys, kid);
    if (key == NULL) {
        say(why, why_size, "the lease is signed by a key that is not trusted");
        return -1;
    }
    const char *sig = dot2 + 1;
    if (base64url(sig, strlen(sig), signature, sizeof signature, &signature_len) != 0 ||
        signature_len != crypto_sign_BYTES ||
        crypto_sign_verify_detached(signature, (const unsigned char *)token,
                                    (unsigned long long)(dot2 - token), key->public_key) != 0) {
        say(why, why_size, "the lease's signature does not match");
        return -1;
    }
    return 0;
}

static int check_claims(const char *p, size_t len, const lm_expect *expect, lm_claims *claims,
                        char *why, size_t why_size) {
    char aud[80], machine[160], nonce[128];
    if (member_string(p, len, "aud", aud, sizeof aud) || strcmp(aud, expect->product) != 0) {
        say(why, why_size, "the lease is for another product");
        return -1;
    }
    if (member_string(p, len, "machine", machine, sizeof machine) ||
        strcmp(machine, expect->machine) != 0) {
        say(why, why_size, "the lease is for another machine");
        return -1;
    }
    if (expect->nonce != NULL && (member_string(p, len, "nonce", nonce, sizeof nonce) ||
                                  strcmp(nonce, expect->nonce) != 0)) {
        say(why, why_size, "the lease does not answer our request (nonce)");
        return -1;
    }
    if (member_int(p, len, "iat", &claims->iat) || member_int(p, len, "exp", &claims->exp)) {
        say(why, why_size, "the lease's times are not whole seconds");
        return -1;
    }
    if (member_int(p, len, "grace_until", &claims->grace_until)) claims->grace_until = claims->exp;
    if (member_int(p, len, "seats", &claims->seats)) claims->seats = 0;
    if (member_int(p, len, "seats_in_use", &claims->seats_in_use)) claims->seats_in_use = 0;
    if (member_string(p, len, "jti", claims->jti, sizeof claims->jti)) claims->jti[0] = '\0';
    lm_span offline;
    int is_offline = lm_json_member(p, len, "offline", &offline) == 0 && lm_json_bool(offline) == 1;
    if (expect->offline && !is_offline) {
        say(why, why_size, "this is not an offline license file");
        return -1;
    }
    long long end = expect->offline || expect->nonce ? claims->exp
                    : (claims->grace_until > claims->exp ? claims->grace_until : claims->exp);
    if (end + expect->leeway <= expect->now) {
        say(why, why_size, "the lease has expired; check the date and time");
        return -1;
    }
    return 0;
}

int lm_verify_lease(const char *token, const lm_keys *keys, const lm_expect *expect,
                    lm_claims *claims, char *why, size_t why_size) {
    memset(claims, 0, sizeof *claims);
    size_t token_len = strlen(token);
    const char *dot1 = strchr(token, '.');
    const char *dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
    if (token_len > MAX_TOKEN || dot1 == NULL || dot2 == NULL || strchr(dot2 + 1, '.')) {
        say(why, why_size, "the lease is not a JWT");
        return -1;
    }
    if (check_signature(token, dot1, dot2, keys, why, why_size) < 0) return -1;
    unsigned char payload[MAX_TOKEN];
    size_t payload_len = 0;
    if (base64url(dot1 + 1, (size_t)(dot2 - dot1 - 1), payload, sizeof payload - 1,
                  &payload_len) != 0) {
        say(why, why_size, "the lease is not a JWT");
        return -1;
    }
    payload[payload_len] = '\0';
    return check_claims((const char *)payload, payload_len, expect, claims, why, why_size);
}
