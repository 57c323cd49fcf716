/* log.h — structured logging to stderr, one line per event.
 * log_info/log_warn/log_error write `{"ts":…,"level":…,"msg":…}` lines. The access log is
 * written by the HTTP layer through log_line() so every line is one write(2). Never log
 * passwords, tokens or personal data. */
#ifndef SANAD_LOG_H
#define SANAD_LOG_H

void log_set_quiet(int quiet);
void log_msg(const char *level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define log_info(...) log_msg("info", __VA_ARGS__)
#define log_warn(...) log_msg("warn", __VA_ARGS__)
#define log_error(...) log_msg("error", __VA_ARGS__)
/* Write one already-formatted line (no trailing newline needed) atomically. */
void log_line(const char *line, unsigned long len);

#endif
