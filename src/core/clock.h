/* clock.h — time as UTC epoch milliseconds (the only representation stored), and ISO 8601. */
#ifndef SANAD_CLOCK_H
#define SANAD_CLOCK_H

#include <stddef.h>
#include <stdint.h>

int64_t clock_now_ms(void);
/* Monotonic clock in microseconds, for durations. */
int64_t clock_mono_us(void);
/* Write "YYYY-MM-DDTHH:MM:SS.mmmZ" into out (size ≥ 25). */
void clock_iso8601(int64_t ms, char *out, size_t size);
/* Parse an ISO 8601 UTC or offset time; returns 0 and sets *ms, or -1. */
int clock_parse_iso8601(const char *s, int64_t *ms);

#endif
