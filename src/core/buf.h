/* buf.h — growable byte buffer with a hard maximum set at creation.
 * Every buffer fed by the outside world is a `buf` with a cap; appending past the cap fails
 * (returns -1) and leaves the buffer unchanged. The buffer is always NUL-terminated. */
#ifndef SANAD_BUF_H
#define SANAD_BUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct buf {
    char *data;
    size_t len;
    size_t cap;  /* bytes allocated */
    size_t max;  /* hard maximum of len */
} buf;

void buf_init(buf *b, size_t max);
void buf_fini(buf *b);
void buf_reset(buf *b);
int buf_append(buf *b, const void *data, size_t len);
int buf_puts(buf *b, const char *s);
int buf_printf(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int buf_vprintf(buf *b, const char *fmt, va_list ap);
/* Detach the data (caller frees with free()); the buffer is left empty. */
char *buf_steal(buf *b);

#endif
