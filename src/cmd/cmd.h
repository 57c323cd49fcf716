/* cmd.h — the sub-commands of `sanad`; main.c only dispatches to these. Each returns the
 * process exit status. */
#ifndef SANAD_CMD_H
#define SANAD_CMD_H

#include "../core/config.h"
#include "../store/store.h"

int cmd_serve(int argc, char **argv);
int cmd_migrate(int argc, char **argv);
int cmd_user(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_mail_ingest(int argc, char **argv);

/* Shared: load the configuration (extra = the command's own options), open the database and
 * bring its schema up to date. Prints errors; returns 0 or an exit status. */
int cmd_open(int argc, char **argv, const char *const *extra, config *cfg, store **db);
/* The value of --name (or --name=value) in argv, or NULL. */
const char *cmd_arg(int argc, char **argv, const char *name);
/* Whether argv holds --name (a flag without value). */
int cmd_flag(int argc, char **argv, const char *name);

#endif
