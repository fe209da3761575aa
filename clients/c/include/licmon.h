/* licmon C client: check in with a license key, verify the signed lease, keep it (owner-only)
 * for offline use within its grace, renew it, release it, verify an offline license file.
 *
 * Needs libcurl (HTTP) and libsodium (Ed25519). Leases are trusted only when every check
 * passes: EdDSA, a pinned key id, the signature, aud = product, machine = this machine,
 * nonce = the one just sent, whole-number times, not expired. */
#ifndef LICMON_H
#define LICMON_H

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lm_client lm_client;

typedef struct {
    const char *server;     /* "https://licenses.example.com" (no trailing slash needed) */
    const char *key;        /* the license key */
    const char *product;    /* the product code */
    const char *machine;    /* this machine's fingerprint, 8-128 printable characters */
    const char *trust_jwks; /* a JWKS file with the server's public keys (pinned) */
    const char *state_dir;  /* where the lease and lease chain are kept; NULL: nowhere */
    long timeout_seconds;   /* per request; 0: 10 */
    long process;           /* this program instance (e.g. getpid()); 0: not sent */
} lm_options;

enum lm_outcome {
    LM_GRANTED = 0, /* a verified lease */
    LM_DENIED = 1,  /* the server refused: reason says why */
    LM_OFFLINE = 2  /* no verified answer: licensed says whether the saved lease's grace holds */
};

typedef struct {
    int outcome;
    int licensed;           /* the program may run now */
    char reason[48];        /* a denial's reason (e.g. seats_exhausted), or "" */
    char problem[160];      /* why no verified answer came, in plain words, or "" */
    long long expires_at;   /* the lease's end (renew before), 0 without a lease */
    long long grace_until;  /* use without the server until then */
    long long seats;
    long long seats_in_use;
    long retry_after;       /* seconds the server asked to wait (429/503), or -1 */
} lm_status;

/* NULL (and a line on stderr) when an option is missing or the JWKS cannot be read. */
lm_client *lm_client_new(const lm_options *options);
void lm_client_free(lm_client *client);

/* One check-in. Returns status->outcome. */
int lm_checkin(lm_client *client, lm_status *status);
/* Check in, retrying server trouble up to `attempts` times, waiting as Retry-After asks
 * (or 1, 2, 4 ... seconds) but no more than `max_wait` seconds in all. */
int lm_checkin_retrying(lm_client *client, lm_status *status, int attempts, long max_wait);
/* Seconds until the lease should be renewed (half its life), at least 1. */
long lm_renew_in(const lm_client *client);
/* Give the seat back; 0 when released, -1 otherwise (the seat then frees at lease end). */
int lm_release(lm_client *client);

/* An air-gapped license file, verified with no network: 0 when valid; -1 with `why`. */
int lm_verify_license_file(const char *path, const char *trust_jwks, const char *product,
                           const char *machine, long long now, char *why, unsigned long why_size);

#ifdef __cplusplus
}
#endif
#endif
