/* common.c — what the sub-commands share: configuration, opening and migrating the database. */
#include "cmd.h"

#include "../core/crypto.h"
#include "../store/migrate.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

const char *cmd_arg(int argc, char **argv, const char *name)
{
    size_t n = strlen(name);
    for (int i = 0; i < argc; i++) {
        if (strncmp(argv[i], "--", 2) || strncmp(argv[i] + 2, name, n)) continue;
        if (argv[i][2 + n] == '=') return argv[i] + 3 + n;
        if (argv[i][2 + n] == '\0' && i + 1 < argc) return argv[i + 1];
    }
    return NULL;
}

int cmd_flag(int argc, char **argv, const char *name)
{
    for (int i = 0; i < argc; i++)
        if (!strncmp(argv[i], "--", 2) && !strcmp(argv[i] + 2, name)) return 1;
    return 0;
}

/* For sqlite:var/x.db create var/ so a first start just works. */
static void make_parent_dir(const char *url)
{
    if (strncmp(url, "sqlite:", 7) != 0) return;
    char dir[512];
    snprintf(dir, sizeof dir, "%s", url + 7);
    char *slash = strrchr(dir, '/');
    if (!slash || slash == dir) return;
    *slash = '\0';
    mkdir(dir, 0750);
}

int cmd_open(int argc, char **argv, const char *const *extra, config *cfg, store **db)
{
    sn_err e;
    config_defaults(cfg);
    if (config_load(cfg, argc, argv, extra, &e) < 0) {
        fprintf(stderr, "sanad: %s\n", e.message);
        return 2;
    }
    if (crypto_init() < 0) {
        fprintf(stderr, "sanad: cannot initialise libsodium\n");
        return 1;
    }
    make_parent_dir(cfg->db);
    store_options opt = {cfg->sqlite_synchronous, 10000};
    if (store_open(cfg->db, &opt, db, &e) < 0) {
        fprintf(stderr, "sanad: %s\n", e.message);
        return 1;
    }
    int applied;
    if (migrate_run(*db, &applied, &e) < 0) {
        fprintf(stderr, "sanad: %s\n", e.message);
        store_close(*db);
        *db = NULL;
        return 1;
    }
    return 0;
}
