/* main.c — parse the command name and dispatch. */
#include "cmd/cmd.h"
#include "core/config.h"

#include <stdio.h>
#include <string.h>

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *help;
} commands[] = {
    {"serve", cmd_serve, "serve the API, agent app and portal"},
    {"migrate", cmd_migrate, "bring the database schema up to date"},
    {"user", cmd_user, "add, disable users and reset passwords"},
    {"demo", cmd_demo, "load the demo organisation"},
    {"audit", cmd_audit, "verify the audit log's hash chain"},
    {"import", cmd_import, "bulk import JSON lines (contacts, articles)"},
    {"mail-ingest", cmd_mail_ingest, "take in email: one message on stdin, or --maildir DIR"},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: sanad COMMAND [options]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].help);
    fprintf(out, "  config-sample  print a commented configuration file\n\n"
                 "options (every command):\n");
}

int main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
        !strcmp(argv[1], "help")) {
        usage(stdout);
        config_print_help();
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "config-sample")) {
        config_print_sample();
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (strcmp(argv[1], commands[i].name) != 0) continue;
        /* user and import print their own usage (subcommands, kinds) */
        if (argc > 2 && (!strcmp(argv[2], "--help") || !strcmp(argv[2], "-h")) &&
            strcmp(argv[1], "user") != 0 && strcmp(argv[1], "import") != 0) {
            printf("usage: sanad %s [options]\n  %s\n\noptions:\n", commands[i].name,
                   commands[i].help);
            config_print_help();
            return 0;
        }
        return commands[i].run(argc - 1, argv + 1);
    }
    fprintf(stderr, "sanad: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
