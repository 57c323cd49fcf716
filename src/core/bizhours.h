/* bizhours.h — the business-hours calendar and SLA time arithmetic.
 *
 * Owns: the calendar value (IANA zone, weekly opening windows, dated holidays), its JSON shape
 * for the API, and the arithmetic on it — is it open now, when does it next open, what instant
 * lies N business milliseconds after another, how much business time lies between two instants.
 * Does not own: storing the calendar (store/), who may change it (api/), SLA policy (domain/).
 *
 * Time model. Instants are UTC epoch milliseconds (core/clock.h). Windows and holidays are wall
 * time in the calendar's zone: a window {day, 08:00, 20:00} opens at 08:00 local on that weekday
 * whatever the UTC offset is that day, so on a DST change day it lasts 11 or 13 real hours and
 * business time counts real elapsed milliseconds inside it. A wall time the clock skips (spring
 * forward) opens at the first valid instant after the gap; a wall time the clock repeats (fall
 * back) is taken at its first occurrence. Local↔UTC conversion uses ICU; the ICU calendar is
 * cached per thread (freed when the thread exits), so every function here is thread-safe for a
 * calendar value that no one is writing.
 *
 * Supported instants: 1900-01-01T00:00Z to 9999-12-01T00:00Z (outside → error / closed). */
#ifndef SANAD_BIZHOURS_H
#define SANAD_BIZHOURS_H

#include "core/err.h"

#include <jansson.h>
#include <stdint.h>

#define BH_MAX_WINDOWS 32
#define BH_MAX_HOLIDAYS 2000
#define BH_MAX_NAME 128

/* day 0 = Sunday … 6 = Saturday; minutes after local midnight, 0 ≤ start < end ≤ 1440. */
typedef struct bh_window {
    int day;
    int start_min;
    int end_min;
} bh_window;

/* A local date on which the centre is closed all day. name is NUL-terminated UTF-8. */
typedef struct bh_holiday {
    int year, month, day;
    char name[BH_MAX_NAME];
} bh_holiday;

/* Invariants (kept by bh_default and bh_from_json; hand-built values must keep them too):
 * timezone is a valid IANA id; windows are sorted by (day, start) and do not overlap within a
 * day; holidays are sorted by date without duplicates and point to malloc'd memory owned by the
 * calendar (NULL when nholidays is 0). */
typedef struct bh_calendar {
    char timezone[64];
    int nwindows;
    bh_window windows[BH_MAX_WINDOWS];
    int nholidays;
    bh_holiday *holidays;
} bh_calendar;

/* Initialise `c` (caller's memory, any prior content ignored) to every day 08:00–20:00,
 * Asia/Riyadh, no holidays. Never fails. */
void bh_default(bh_calendar *c);

/* Free what `c` owns (the holidays) and leave it with no holidays. Safe to call twice. */
void bh_fini(bh_calendar *c);

/* Update `c` (initialised by bh_default or a previous bh_from_json) from the API shape
 *   {"timezone":"Asia/Riyadh",
 *    "weekly":[{"day":0,"start":"08:00","end":"20:00"},…],
 *    "holidays":[{"date":"YYYY-MM-DD","name":"…"}]}
 * Times are "HH:MM", end may be "24:00"; "name" is optional. A part that is present replaces
 * that whole part (a "weekly" list replaces every window, not just the days it names).
 * merge = 1: absent parts keep their value. merge = 0: "timezone" and "weekly" are required and
 * an absent "holidays" means none.
 * `obj` is borrowed. On error `c` is unchanged and `e` says why:
 *   SN_EINVALID       not an object, unknown key (field = the key, "weekly.<key>" or
 *                     "holidays.<key>" inside an entry), or a value of the wrong JSON type
 *                     (field = the part);
 *   SN_EUNPROCESSABLE field "timezone": not an IANA zone known to ICU;
 *                     field "weekly": missing, empty, more than BH_MAX_WINDOWS, day outside
 *                     0–6, bad time, start ≥ end, or two windows overlapping on one day;
 *                     field "holidays": bad or duplicate date, name too long, too many. */
int bh_from_json(bh_calendar *c, json_t *obj, int merge, sn_err *e);

/* The API shape of `c`, windows sorted by (day, start) and holidays by date. New reference
 * owned by the caller; NULL only when out of memory. */
json_t *bh_to_json(const bh_calendar *c);

/* 1 if `at_ms` falls inside a window [start, end) of its local weekday and its local date is
 * not a holiday; 0 otherwise, including when the calendar or instant is unusable. */
int bh_is_open(const bh_calendar *c, int64_t at_ms);

/* Set *due_ms to the instant at which `business_ms` of business time has accrued since
 * `start_ms`; counting begins at the next opening if `start_ms` is outside hours. business_ms
 * = 0 gives the next open instant ≥ start_ms; an amount that uses a window up to its end gives
 * that closing instant (not the next opening). Returns 0, or SN_EINVALID (business_ms < 0 or
 * start outside the supported range), SN_EUNPROCESSABLE (no usable windows, unknown zone, or the
 * due time lies beyond the supported range or more than a century of dates ahead); *due_ms is
 * untouched on error. Cost: about two ICU conversions per local date crossed. */
int bh_add(const bh_calendar *c, int64_t start_ms, int64_t business_ms, int64_t *due_ms);

/* Business milliseconds in [from_ms, to_ms): 0 if to_ms ≤ from_ms or there are no windows.
 * A negative SN_E* code if the zone is unknown, an instant is outside the supported range, or
 * the interval spans more than a century. */
int64_t bh_elapsed(const bh_calendar *c, int64_t from_ms, int64_t to_ms);

/* Set *open_ms to the first instant ≥ at_ms at which the centre is open (== at_ms when open
 * now), e.g. to tell an after-hours contact when to expect an answer. Errors as bh_add. */
int bh_next_open(const bh_calendar *c, int64_t at_ms, int64_t *open_ms);

#endif
