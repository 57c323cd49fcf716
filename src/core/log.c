/* log.c — JSON lines on stderr. */
#include "log.h"

#include "buf.h"
#include "clock.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int log_quiet;

void log_set_quiet(int quiet)
{
    log_quiet = quiet;
}

void log_line(const char *line, unsigned long len)
{
    if (log_quiet) return;
    char nl = '\n';
    /* One write for the line and one for the newline would interleave across threads;
     * callers pass lines that already end with '\n' when they can. */
    if (len && line[len - 1] == '\n') {
        (void)!write(STDERR_FILENO, line, len);
    } else {
        buf b;
        buf_init(&b, len + 2);
        if (buf_append(&b, line, len) == 0 && buf_append(&b, &nl, 1) == 0)
            (void)!write(STDERR_FILENO, b.data, b.len);
        buf_fini(&b);
    }
}

void log_msg(const char *level, const char *fmt, ...)
{
    if (log_quiet && strcmp(level, "error") != 0) return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    json_t *o = json_pack("{s:I, s:s, s:s}", "ts", (json_int_t)clock_now_ms(), "level", level,
                          "msg", msg);
    char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
    if (s) {
        size_t n = strlen(s);
        buf b;
        buf_init(&b, n + 2);
        if (buf_append(&b, s, n) == 0 && buf_puts(&b, "\n") == 0)
            (void)!write(STDERR_FILENO, b.data, b.len);
        buf_fini(&b);
    }
    free(s);
    json_decref(o);
}
