/* admin.c — `sanad migrate`, `sanad user add|disable|passwd`, `sanad demo`, `sanad audit verify`. */
#include "cmd.h"

#include "../core/crypto.h"
#include "../domain/audit.h"
#include "../domain/demo.h"
#include "../domain/user.h"
#include "../store/migrate.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

int cmd_migrate(int argc, char **argv)
{
    config cfg;
    store *db;
    int rc = cmd_open(argc, argv, NULL, &cfg, &db);
    if (rc) return rc;
    int version = 0;
    migrate_current(db, &version, NULL);
    printf("sanad: database schema at version %d\n", version);
    store_close(db);
    return 0;
}

/* The password: generated and printed, or the first line of stdin. */
static int read_password(int argc, char **argv, char *out, size_t size)
{
    if (cmd_flag(argc, argv, "generate-password")) {
        crypto_token(out, size, 12);
        printf("password: %s\n", out);
        return 0;
    }
    if (!fgets(out, (int)size, stdin)) {
        fprintf(stderr, "sanad: give the password on the first line of stdin, or "
                        "--generate-password\n");
        return -1;
    }
    out[strcspn(out, "\r\n")] = '\0';
    return 0;
}

static const char *const user_extra[] = {"email", "name", "role", "generate-password", NULL};

static int user_add(int argc, char **argv, store *db)
{
    const char *email = cmd_arg(argc, argv, "email"), *name = cmd_arg(argc, argv, "name");
    unsigned roles = 0;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--role") || i + 1 >= argc) continue;
        unsigned bit = role_parse(argv[i + 1]);
        if (!bit) {
            fprintf(stderr, "sanad: unknown role '%s'\n", argv[i + 1]);
            return 2;
        }
        roles |= bit;
    }
    if (!email || !name || !roles) {
        fprintf(stderr, "usage: sanad user add --email E --name N --role R [--role R2] "
                        "[--generate-password]\n");
        return 2;
    }
    char password[1100];
    if (read_password(argc, argv, password, sizeof password) < 0) return 2;
    user_input in = {.email = email, .name = name, .password = password, .roles = roles,
                     .has_roles = 1};
    user u;
    sn_err e;
    if (user_create(db, &actor_system, &in, &u, &e) < 0) {
        fprintf(stderr, "sanad: %s%s%s\n", e.message, e.field[0] ? ": " : "", e.field);
        return 1;
    }
    printf("user %" PRId64 " created: %s\n", u.id, u.email);
    return 0;
}

static int user_change(int argc, char **argv, store *db, int disable)
{
    const char *email = cmd_arg(argc, argv, "email");
    if (!email) {
        fprintf(stderr, "usage: sanad user %s --email E\n", disable ? "disable" : "passwd");
        return 2;
    }
    user u;
    sn_err e;
    if (user_find_by_email(db, email, &u, NULL, 0, &e) < 0) {
        fprintf(stderr, "sanad: %s\n", e.message);
        return 1;
    }
    char password[1100];
    user_input in = {0};
    if (disable) {
        in.has_disabled = 1;
        in.disabled = 1;
    } else {
        if (read_password(argc, argv, password, sizeof password) < 0) return 2;
        in.password = password;
    }
    if (user_update(db, &actor_system, u.id, &in, &u, &e) < 0) {
        fprintf(stderr, "sanad: %s\n", e.message);
        return 1;
    }
    printf("user %s %s\n", u.email, disable ? "disabled" : "password changed");
    return 0;
}

int cmd_user(int argc, char **argv)
{
    if (argc < 2 || cmd_flag(argc, argv, "help")) {
        printf("usage: sanad user add|disable|passwd [--db URL] --email E [--name N --role R]\n"
               "  add      create a user; password from the first line of stdin or\n"
               "           --generate-password (printed once)\n"
               "  disable  disable a user and end their sessions\n"
               "  passwd   set a new password and end the user's sessions\n");
        return argc < 2 ? 2 : 0;
    }
    config cfg;
    store *db;
    int rc = cmd_open(argc - 1, argv + 1, user_extra, &cfg, &db);
    if (rc) return rc;
    if (!strcmp(argv[1], "add"))
        rc = user_add(argc - 1, argv + 1, db);
    else if (!strcmp(argv[1], "disable"))
        rc = user_change(argc - 1, argv + 1, db, 1);
    else if (!strcmp(argv[1], "passwd"))
        rc = user_change(argc - 1, argv + 1, db, 0);
    else {
        fprintf(stderr, "sanad: unknown user command '%s'\n", argv[1]);
        rc = 2;
    }
    store_close(db);
    return rc;
}

static void print_demo_user(const char *email, const char *role, const char *password, void *arg)
{
    (void)arg;
    printf("  %-16s %-24s %s\n", role, email, password);
}

int cmd_demo(int argc, char **argv)
{
    config cfg;
    store *db;
    int rc = cmd_open(argc, argv, NULL, &cfg, &db);
    if (rc) return rc;
    sn_err e;
    printf("Loading the demo organisation. Sign-in accounts (passwords shown only now):\n"
           "  %-16s %-24s %s\n", "role", "email", "password");
    rc = demo_load(db, print_demo_user, NULL, &e);
    store_close(db);
    if (rc < 0) {
        fprintf(stderr, "sanad: %s\n", e.message);
        return rc == SN_ECONFLICT ? 3 : 1;
    }
    return 0;
}

int cmd_audit(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "verify") != 0) {
        fprintf(stderr, "usage: sanad audit verify --db URL\n");
        return 2;
    }
    config cfg;
    store *db;
    int rc = cmd_open(argc - 1, argv + 1, NULL, &cfg, &db);
    if (rc) return rc;
    int64_t rows = 0, bad = 0;
    sn_err e;
    rc = audit_verify(db, &rows, &bad, &e);
    store_close(db);
    if (rc == SN_ECONFLICT) {
        printf("audit chain broken at row %" PRId64 "\n", bad);
        return 1;
    }
    if (rc < 0) {
        fprintf(stderr, "sanad: %s\n", e.message);
        return 2;
    }
    printf("audit chain ok: %" PRId64 " rows\n", rows);
    return 0;
}
