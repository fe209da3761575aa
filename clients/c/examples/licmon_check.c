/* An example program on the licmon C client.
 *
 *   LICMON_KEY=LM-... licmon-check checkin --server URL --product P --machine M \
 *       --trust jwks.json [--state DIR] [--process N] [--renew N] [--release]
 *   licmon-check verify-file --file LICENSE.lic --trust jwks.json --product P --machine M
 *
 * The key comes from the environment, not the command line (which other users can list).
 * One line per check-in: "granted ...", "denied reason=...", "offline licensed=0|1 ...".
 * Exit status: 0 licensed, 2 denied, 3 not licensed (no verified answer, no grace), 1 usage. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "licmon.h"

static const char *option(int argc, char **argv, const char *name) {
    for (int i = 2; i + 1 < argc; i++)
        if (strcmp(argv[i], name) == 0) return argv[i + 1];
    return NULL;
}

static int flag(int argc, char **argv, const char *name) {
    for (int i = 2; i < argc; i++)
        if (strcmp(argv[i], name) == 0) return 1;
    return 0;
}

static void print(const lm_status *s) {
    if (s->outcome == LM_GRANTED)
        printf("granted expires_at=%lld grace_until=%lld seats=%lld seats_in_use=%lld\n",
               s->expires_at, s->grace_until, s->seats, s->seats_in_use);
    else if (s->outcome == LM_DENIED)
        printf("denied reason=%s\n", s->reason);
    else
        printf("offline licensed=%d retry_after=%ld problem=%s\n", s->licensed, s->retry_after,
               s->problem);
    fflush(stdout);
}

static int verify_file(int argc, char **argv) {
    char why[160];
    const char *file = option(argc, argv, "--file"), *trust = option(argc, argv, "--trust");
    const char *product = option(argc, argv, "--product"), *machine = option(argc, argv, "--machine");
    if (!file || !trust || !product || !machine) {
        fprintf(stderr, "verify-file needs --file, --trust, --product and --machine\n");
        return 1;
    }
    if (lm_verify_license_file(file, trust, product, machine, (long long)time(NULL), why,
                               sizeof why) != 0) {
        printf("invalid: %s\n", why);
        return 1;
    }
    printf("valid\n");
    return 0;
}

static int checkin(int argc, char **argv) {
    const char *process = option(argc, argv, "--process"), *renew = option(argc, argv, "--renew");
    const char *attempts = option(argc, argv, "--attempts");
    const char *max_wait = option(argc, argv, "--max-wait");
    lm_options o = {
        .server = option(argc, argv, "--server"),
        .key = getenv("LICMON_KEY"),
        .product = option(argc, argv, "--product"),
        .machine = option(argc, argv, "--machine"),
        .trust_jwks = option(argc, argv, "--trust"),
        .state_dir = option(argc, argv, "--state"),
        .timeout_seconds = 10,
        .process = process ? atol(process) : 0,
    };
    lm_client *client = lm_client_new(&o);
    if (client == NULL) return 1;
    lm_status s;
    int renewals = renew ? atoi(renew) : 0;
    int tries = attempts ? atoi(attempts) : 1;
    long wait = max_wait ? atol(max_wait) : 0;
    for (int i = 0; i <= renewals; i++) {
        lm_checkin_retrying(client, &s, tries, wait);
        print(&s);
    }
    if (flag(argc, argv, "--release") && s.licensed)
        printf(lm_release(client) == 0 ? "released\n" : "not released\n");
    lm_client_free(client);
    return s.licensed ? 0 : (s.outcome == LM_DENIED ? 2 : 3);
}

int main(int argc, char **argv) {
    if (argc >= 2 && strcmp(argv[1], "checkin") == 0) return checkin(argc, argv);
    if (argc >= 2 && strcmp(argv[1], "verify-file") == 0) return verify_file(argc, argv);
    fprintf(stderr, "usage: licmon-check checkin|verify-file [options]\n");
    return 1;
}
