/* bizhours.c — business-hours calendar: JSON shape, validation, and SLA time arithmetic.
 *
 * Owns the per-thread ICU calendar cache and the day scanner that the arithmetic is built on.
 * The scanner walks local dates one at a time (never minutes): for each date it turns that
 * weekday's windows into UTC spans with ICU, unless the date is a holiday. bh_add, bh_elapsed,
 * bh_is_open and bh_next_open are short loops over those spans. A week of nights therefore costs
 * about two ICU wall→UTC conversions per day (≈2.6 µs for a week on one core). The scan starts
 * one local date before the instant, and bh_is_open looks one date past it: a guard, at the cost
 * of one date, for zones whose clocks jump across local midnight, where the local date of an
 * instant and the dates of the windows around it need not line up.
 *
 * Does not own persistence or the HTTP envelope; see bizhours.h for the time model. */
#include "core/bizhours.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/ucal.h>
#include <unicode/ustring.h>

#define BH_MIN_MS (-2208988800000LL)   /* 1900-01-01T00:00:00Z */
#define BH_MAX_MS (253399622400000LL)  /* 9999-12-01T00:00:00Z */
#define BH_MAX_SCAN_DAYS (366 * 100)   /* no SLA looks further than a century */
#define BH_ZONE_MAX ((int)sizeof(((bh_calendar *)0)->timezone))

/* ------------------------------------------------------------------ civil dates */

static int is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
    static const int len[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : len[m - 1];
}

/* A local date with its weekday (0 = Sunday). */
typedef struct bh_date {
    int y, m, d, dow;
} bh_date;

static int date_key(int y, int m, int d)
{
    return y * 10000 + m * 100 + d;
}

static void date_next(bh_date *t)
{
    t->dow = (t->dow + 1) % 7;
    if (++t->d <= days_in_month(t->y, t->m)) return;
    t->d = 1;
    if (++t->m <= 12) return;
    t->m = 1;
    t->y++;
}

static void date_prev(bh_date *t)
{
    t->dow = (t->dow + 6) % 7;
    if (--t->d >= 1) return;
    if (--t->m < 1) {
        t->m = 12;
        t->y--;
    }
    t->d = days_in_month(t->y, t->m);
}

/* ------------------------------------------------------------------ ICU, cached per thread */

typedef struct bh_tls {
    UCalendar *uc;
    char zone[BH_ZONE_MAX];
} bh_tls;

/* wall_to_utc's answers on this thread for its current calendar, direct-mapped by date and
 * minute, cleared when the calendar changes: due times computed one after the other (an import
 * of history, a busy intake) ask for the same days' windows again and again, and each answer
 * costs ICU thousands of instructions. key 0: an empty entry (date keys are > 0). */
#define BH_MEMO 256
typedef struct bh_memo {
    int key, min;
    int64_t ms;
} bh_memo;
static _Thread_local bh_memo wall_memo[BH_MEMO];

static pthread_key_t tls_key;
static pthread_once_t tls_once = PTHREAD_ONCE_INIT;
static int tls_ready; /* written once, inside pthread_once */

static void tls_free(void *p)
{
    bh_tls *t = p;
    if (t->uc) ucal_close(t->uc);
    free(t);
}

static void tls_init(void)
{
    tls_ready = pthread_key_create(&tls_key, tls_free) == 0;
}

/* Copy an ASCII zone id into UTF-16; -1 if it is empty, too long or has other characters. */
static int zone_to_uchars(const char *zone, UChar *out, int cap)
{
    int n = 0;
    for (; zone[n]; n++) {
        char ch = zone[n];
        int ok = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
                 ch == '/' || ch == '_' || ch == '-' || ch == '+';
        if (!ok || n + 1 >= cap) return -1;
        out[n] = (UChar)ch;
    }
    return n > 0 ? n : -1;
}

/* 1 if ICU knows `zone` as a system (IANA) id; custom ids such as "GMT+03:00" are refused. */
static int zone_known(const char *zone)
{
    UChar id[BH_ZONE_MAX], canon[BH_ZONE_MAX * 2];
    int n = zone_to_uchars(zone, id, BH_ZONE_MAX);
    if (n < 0) return 0;
    UBool system = 0;
    UErrorCode st = U_ZERO_ERROR;
    ucal_getCanonicalTimeZoneID(id, n, canon, BH_ZONE_MAX * 2, &system, &st);
    return U_SUCCESS(st) && system;
}

static UCalendar *ucal_for_zone(const char *zone)
{
    UChar id[BH_ZONE_MAX];
    int n = zone_to_uchars(zone, id, BH_ZONE_MAX);
    UErrorCode st = U_ZERO_ERROR;
    if (n < 0 || !zone_known(zone)) return NULL;
    UCalendar *uc = ucal_open(id, n, "en_US_POSIX", UCAL_GREGORIAN, &st);
    if (U_FAILURE(st)) return NULL;
    ucal_setAttribute(uc, UCAL_REPEATED_WALL_TIME, UCAL_WALLTIME_FIRST);
    ucal_setAttribute(uc, UCAL_SKIPPED_WALL_TIME, UCAL_WALLTIME_NEXT_VALID);
    return uc;
}

/* This thread's ICU calendar set to `zone`, or NULL (unknown zone, out of memory). The calendar
 * belongs to the thread cache: callers use it until they return and never close it. */
static UCalendar *thread_ucal(const char *zone)
{
    pthread_once(&tls_once, tls_init);
    if (!tls_ready) return NULL;
    bh_tls *t = pthread_getspecific(tls_key);
    if (!t) {
        if (!(t = calloc(1, sizeof *t))) return NULL;
        if (pthread_setspecific(tls_key, t) != 0) {
            free(t);
            return NULL;
        }
    }
    if (t->uc && strcmp(t->zone, zone) == 0) return t->uc;
    if (t->uc) ucal_close(t->uc);
    memset(wall_memo, 0, sizeof wall_memo); /* a new calendar may be at the old one's address */
    t->uc = ucal_for_zone(zone);
    snprintf(t->zone, sizeof t->zone, "%s", t->uc ? zone : "");
    return t->uc;
}

static int utc_to_date(UCalendar *uc, int64_t ms, bh_date *out)
{
    UErrorCode st = U_ZERO_ERROR;
    ucal_setMillis(uc, (UDate)ms, &st);
    out->y = ucal_get(uc, UCAL_YEAR, &st);
    out->m = ucal_get(uc, UCAL_MONTH, &st) + 1;
    out->d = ucal_get(uc, UCAL_DATE, &st);
    out->dow = ucal_get(uc, UCAL_DAY_OF_WEEK, &st) - UCAL_SUNDAY;
    return U_SUCCESS(st) ? 0 : SN_EINTERNAL;
}

/* The instant of wall time `min` minutes after local midnight of `t` (min ≤ 1440). */
static int wall_to_utc(UCalendar *uc, bh_date t, int min, int64_t *ms)
{
    int key = date_key(t.y, t.m, t.d);
    bh_memo *m = &wall_memo[((unsigned)key * 31u + (unsigned)min) % BH_MEMO];
    if (m->key == key && m->min == min) {
        *ms = m->ms;
        return 0;
    }
    UErrorCode st = U_ZERO_ERROR;
    if (min >= 1440) {
        date_next(&t);
        min -= 1440;
    }
    ucal_clear(uc);
    ucal_setDateTime(uc, t.y, t.m - 1, t.d, min / 60, min % 60, 0, &st);
    UDate u = ucal_getMillis(uc, &st);
    if (U_FAILURE(st)) return SN_EINTERNAL;
    *ms = (int64_t)u;
    *m = (bh_memo){key, min, *ms};
    return 0;
}

/* ------------------------------------------------------------------ the day scanner */

typedef struct bh_span {
    int64_t start, end; /* UTC ms, [start, end) */
} bh_span;

typedef struct bh_scan {
    const bh_calendar *cal;
    UCalendar *uc;
    bh_date date;                              /* next local date to scan */
    int days;                                  /* dates scanned so far */
    int nusable;                               /* usable windows in the whole week */
    int nwin[7];                               /* per weekday: usable windows … */
    const bh_window *win[7][BH_MAX_WINDOWS];   /* … sorted by start */
    int nspan;
    bh_span span[BH_MAX_WINDOWS];              /* spans of the date just scanned */
} bh_scan;

static int window_usable(const bh_window *w)
{
    return w->day >= 0 && w->day <= 6 && w->start_min >= 0 && w->start_min < w->end_min &&
           w->end_min <= 1440;
}

/* Group the usable windows by weekday, each group sorted by start; returns how many. */
static int index_windows(bh_scan *s)
{
    int total = 0;
    memset(s->nwin, 0, sizeof s->nwin);
    for (int i = 0; i < s->cal->nwindows && i < BH_MAX_WINDOWS; i++) {
        const bh_window *w = &s->cal->windows[i];
        if (!window_usable(w)) continue;
        int j = s->nwin[w->day]++;
        for (; j > 0 && s->win[w->day][j - 1]->start_min > w->start_min; j--)
            s->win[w->day][j] = s->win[w->day][j - 1];
        s->win[w->day][j] = w;
        total++;
    }
    return total;
}

/* Prepare to scan from the local date before the one containing `at_ms`. */
static int scan_begin(bh_scan *s, const bh_calendar *c, int64_t at_ms)
{
    s->cal = c;
    s->days = 0;
    s->nspan = 0;
    if ((s->nusable = index_windows(s)) == 0) return SN_EUNPROCESSABLE;
    if (at_ms < BH_MIN_MS || at_ms > BH_MAX_MS) return SN_EINVALID;
    if (!(s->uc = thread_ucal(c->timezone))) return SN_EUNPROCESSABLE;
    int rc = utc_to_date(s->uc, at_ms, &s->date);
    if (rc == 0) date_prev(&s->date);
    return rc;
}

static int is_holiday(const bh_calendar *c, const bh_date *t)
{
    int key = date_key(t->y, t->m, t->d), lo = 0, hi = c->nholidays;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        const bh_holiday *h = &c->holidays[mid];
        int k = date_key(h->year, h->month, h->day);
        if (k == key) return 1;
        if (k < key) lo = mid + 1;
        else hi = mid;
    }
    return 0;
}

/* Append [start, end) to the spans, merging it into the last one if they touch. */
static void span_push(bh_scan *s, int64_t start, int64_t end)
{
    if (end <= start) return; /* e.g. a window wholly inside a skipped DST hour */
    bh_span *last = s->nspan ? &s->span[s->nspan - 1] : NULL;
    if (last && start <= last->end) {
        if (end > last->end) last->end = end;
        return;
    }
    s->span[s->nspan++] = (bh_span){start, end};
}

/* Fill s->span with the open spans of s->date, then advance to the next date. */
static int scan_day(bh_scan *s)
{
    if (s->days++ >= BH_MAX_SCAN_DAYS || s->date.y > 9999) return SN_EUNPROCESSABLE;
    s->nspan = 0;
    if (!is_holiday(s->cal, &s->date)) {
        int dow = s->date.dow;
        for (int i = 0; i < s->nwin[dow]; i++) {
            int64_t start, end;
            int rc = wall_to_utc(s->uc, s->date, s->win[dow][i]->start_min, &start);
            if (rc == 0) rc = wall_to_utc(s->uc, s->date, s->win[dow][i]->end_min, &end);
            if (rc) return rc;
            span_push(s, start, end);
        }
    }
    date_next(&s->date);
    return 0;
}

/* ------------------------------------------------------------------ arithmetic */

int bh_add(const bh_calendar *c, int64_t start_ms, int64_t business_ms, int64_t *due_ms)
{
    bh_scan s;
    if (business_ms < 0) return SN_EINVALID;
    int rc = scan_begin(&s, c, start_ms);
    int64_t cursor = start_ms, left = business_ms;
    while (rc == 0 && (rc = scan_day(&s)) == 0) {
        for (int i = 0; i < s.nspan; i++) {
            if (s.span[i].end <= cursor) continue;
            int64_t from = s.span[i].start > cursor ? s.span[i].start : cursor;
            int64_t avail = s.span[i].end - from;
            if (left <= avail) {
                if (from + left > BH_MAX_MS) return SN_EUNPROCESSABLE;
                *due_ms = from + left;
                return 0;
            }
            left -= avail;
            cursor = s.span[i].end;
        }
    }
    return rc;
}

int bh_next_open(const bh_calendar *c, int64_t at_ms, int64_t *open_ms)
{
    return bh_add(c, at_ms, 0, open_ms);
}

int bh_is_open(const bh_calendar *c, int64_t at_ms)
{
    bh_scan s;
    if (scan_begin(&s, c, at_ms) != 0) return 0;
    /* The date before, of, and after at_ms (see the file header for why not just one). */
    for (int day = 0; day < 3; day++) {
        if (scan_day(&s) != 0) return 0;
        for (int i = 0; i < s.nspan; i++)
            if (at_ms >= s.span[i].start && at_ms < s.span[i].end) return 1;
    }
    return 0;
}

static int64_t overlap(const bh_span *sp, int64_t from, int64_t to)
{
    int64_t a = sp->start > from ? sp->start : from;
    int64_t b = sp->end < to ? sp->end : to;
    return b > a ? b - a : 0;
}

int64_t bh_elapsed(const bh_calendar *c, int64_t from_ms, int64_t to_ms)
{
    bh_scan s;
    bh_date last;
    if (to_ms <= from_ms) return 0;
    int rc = scan_begin(&s, c, from_ms);
    if (rc && s.nusable == 0) return 0; /* never open: no business time at all */
    if (rc == 0 && to_ms > BH_MAX_MS) rc = SN_EINVALID;
    if (rc == 0) rc = utc_to_date(s.uc, to_ms, &last);
    if (rc) return rc;
    date_next(&last); /* scan through the date after to_ms's, as bh_is_open does */
    int64_t sum = 0, stop = date_key(last.y, last.m, last.d);
    while (date_key(s.date.y, s.date.m, s.date.d) <= stop) {
        if ((rc = scan_day(&s)) != 0) return rc;
        for (int i = 0; i < s.nspan; i++) sum += overlap(&s.span[i], from_ms, to_ms);
    }
    return sum;
}

/* ------------------------------------------------------------------ defaults, lifecycle */

void bh_default(bh_calendar *c)
{
    memset(c, 0, sizeof *c);
    snprintf(c->timezone, sizeof c->timezone, "%s", "Asia/Riyadh");
    for (int day = 0; day < 7; day++) c->windows[day] = (bh_window){day, 8 * 60, 20 * 60};
    c->nwindows = 7;
}

void bh_fini(bh_calendar *c)
{
    free(c->holidays);
    c->holidays = NULL;
    c->nholidays = 0;
}

/* ------------------------------------------------------------------ JSON: parsing */

/* Parts parsed from one request, applied to the calendar only when all of them are valid. */
typedef struct bh_parts {
    int has_zone, has_weekly, has_holidays;
    char zone[BH_ZONE_MAX];
    int nwindows;
    bh_window windows[BH_MAX_WINDOWS];
    int nholidays;
    bh_holiday *holidays; /* owned until applied */
} bh_parts;

static const char *json_type_name(json_type t)
{
    switch (t) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    default: return "another type";
    }
}

/* SN_EINVALID naming the first key of `obj` not in `allowed` (NULL-terminated); field is the
 * key, prefixed by "part." inside an entry. */
static int check_keys(json_t *obj, const char *const *allowed, const char *part, sn_err *e)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v) {
        const char *const *a = allowed;
        while (*a && strcmp(*a, key) != 0) a++;
        if (*a) continue;
        char field[sizeof e->field];
        snprintf(field, sizeof field, "%s%s%s", part ? part : "", part ? "." : "", key);
        return sn_fail(e, SN_EINVALID, field, "unknown field \"%s\"", key);
    }
    return 0;
}

/* Fetch obj[key] of JSON type `type` (required), reporting against `part`. */
static int member(json_t *obj, const char *key, json_type type, const char *part, json_t **out,
                  sn_err *e)
{
    json_t *v = json_object_get(obj, key);
    if (!v) return sn_fail(e, SN_EUNPROCESSABLE, part, "each %s entry needs \"%s\"", part, key);
    if (json_typeof(v) != type)
        return sn_fail(e, SN_EINVALID, part, "\"%s\" must be %s", key, json_type_name(type));
    *out = v;
    return 0;
}

/* A string member's bytes, refusing embedded NULs. */
static const char *string_of(json_t *v, size_t *len)
{
    const char *s = json_string_value(v);
    *len = json_string_length(v);
    return strlen(s) == *len ? s : NULL;
}

static int parse_digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

/* "HH:MM" → minutes after midnight, 0…1440 ("24:00" only as a whole hour). */
static int parse_hhmm(const char *s, size_t len, int *min)
{
    int h, m;
    if (!s || len != 5 || s[2] != ':' || parse_digits(s, 2, &h) || parse_digits(s + 3, 2, &m))
        return -1;
    if (m > 59 || h > 24 || (h == 24 && m != 0)) return -1;
    *min = h * 60 + m;
    return 0;
}

/* "YYYY-MM-DD", a real date in 1900…9999. */
static int parse_date(const char *s, size_t len, bh_holiday *h)
{
    if (!s || len != 10 || s[4] != '-' || s[7] != '-') return -1;
    if (parse_digits(s, 4, &h->year) || parse_digits(s + 5, 2, &h->month) ||
        parse_digits(s + 8, 2, &h->day))
        return -1;
    if (h->year < 1900 || h->month < 1 || h->month > 12) return -1;
    return h->day >= 1 && h->day <= days_in_month(h->year, h->month) ? 0 : -1;
}

static int parse_zone(json_t *v, bh_parts *p, sn_err *e)
{
    size_t len;
    if (!json_is_string(v)) return sn_fail(e, SN_EINVALID, "timezone", "must be a string");
    const char *s = string_of(v, &len);
    if (!s || len >= sizeof p->zone || !zone_known(s))
        return sn_fail(e, SN_EUNPROCESSABLE, "timezone", "unknown time zone (use an IANA id such "
                                                          "as \"Asia/Riyadh\")");
    memcpy(p->zone, s, len + 1);
    p->has_zone = 1;
    return 0;
}

static int parse_window(json_t *v, bh_window *w, sn_err *e)
{
    static const char *const keys[] = {"day", "start", "end", NULL};
    json_t *day, *start, *end;
    size_t slen, elen;
    if (!json_is_object(v)) return sn_fail(e, SN_EINVALID, "weekly", "each window is an object");
    int rc = check_keys(v, keys, "weekly", e);
    if (rc == 0) rc = member(v, "day", JSON_INTEGER, "weekly", &day, e);
    if (rc == 0) rc = member(v, "start", JSON_STRING, "weekly", &start, e);
    if (rc == 0) rc = member(v, "end", JSON_STRING, "weekly", &end, e);
    if (rc) return rc;
    json_int_t d = json_integer_value(day);
    if (d < 0 || d > 6)
        return sn_fail(e, SN_EUNPROCESSABLE, "weekly", "day must be 0 (Sunday) to 6 (Saturday)");
    w->day = (int)d;
    const char *s = string_of(start, &slen), *t = string_of(end, &elen);
    if (parse_hhmm(s, slen, &w->start_min) || parse_hhmm(t, elen, &w->end_min))
        return sn_fail(e, SN_EUNPROCESSABLE, "weekly", "times are \"HH:MM\", 00:00 to 24:00");
    if (w->start_min >= w->end_min)
        return sn_fail(e, SN_EUNPROCESSABLE, "weekly", "a window must end after it starts");
    return 0;
}

static int window_cmp(const void *a, const void *b)
{
    const bh_window *x = a, *y = b;
    if (x->day != y->day) return x->day < y->day ? -1 : 1;
    return (x->start_min > y->start_min) - (x->start_min < y->start_min);
}

static int parse_weekly(json_t *v, bh_parts *p, sn_err *e)
{
    if (!json_is_array(v)) return sn_fail(e, SN_EINVALID, "weekly", "must be an array");
    size_t n = json_array_size(v);
    if (n == 0)
        return sn_fail(e, SN_EUNPROCESSABLE, "weekly", "at least one opening window is required");
    if (n > BH_MAX_WINDOWS)
        return sn_fail(e, SN_EUNPROCESSABLE, "weekly", "at most %d windows", BH_MAX_WINDOWS);
    for (size_t i = 0; i < n; i++) {
        int rc = parse_window(json_array_get(v, i), &p->windows[i], e);
        if (rc) return rc;
    }
    qsort(p->windows, n, sizeof p->windows[0], window_cmp);
    for (size_t i = 1; i < n; i++) {
        const bh_window *a = &p->windows[i - 1], *b = &p->windows[i];
        if (a->day == b->day && a->end_min > b->start_min)
            return sn_fail(e, SN_EUNPROCESSABLE, "weekly", "windows overlap on day %d", b->day);
    }
    p->nwindows = (int)n;
    p->has_weekly = 1;
    return 0;
}

static int parse_holiday(json_t *v, bh_holiday *h, sn_err *e)
{
    static const char *const keys[] = {"date", "name", NULL};
    json_t *date, *name = json_object_get(v, "name");
    size_t len;
    if (!json_is_object(v)) return sn_fail(e, SN_EINVALID, "holidays", "each holiday is an object");
    int rc = check_keys(v, keys, "holidays", e);
    if (rc == 0) rc = member(v, "date", JSON_STRING, "holidays", &date, e);
    if (rc) return rc;
    const char *d = string_of(date, &len);
    if (parse_date(d, len, h))
        return sn_fail(e, SN_EUNPROCESSABLE, "holidays", "dates are \"YYYY-MM-DD\", from 1900");
    if (!name) return 0;
    if (!json_is_string(name)) return sn_fail(e, SN_EINVALID, "holidays", "name must be a string");
    const char *s = string_of(name, &len);
    if (!s || len >= sizeof h->name)
        return sn_fail(e, SN_EUNPROCESSABLE, "holidays", "name is at most %d bytes",
                       (int)sizeof h->name - 1);
    memcpy(h->name, s, len + 1);
    return 0;
}

static int holiday_cmp(const void *a, const void *b)
{
    const bh_holiday *x = a, *y = b;
    int kx = date_key(x->year, x->month, x->day), ky = date_key(y->year, y->month, y->day);
    return (kx > ky) - (kx < ky);
}

static int parse_holidays(json_t *v, bh_parts *p, sn_err *e)
{
    if (!json_is_array(v)) return sn_fail(e, SN_EINVALID, "holidays", "must be an array");
    size_t n = json_array_size(v);
    if (n > BH_MAX_HOLIDAYS)
        return sn_fail(e, SN_EUNPROCESSABLE, "holidays", "at most %d holidays", BH_MAX_HOLIDAYS);
    p->has_holidays = 1;
    if (n == 0) return 0;
    if (!(p->holidays = calloc(n, sizeof *p->holidays)))
        return sn_fail(e, SN_EINTERNAL, "", "out of memory");
    for (size_t i = 0; i < n; i++) {
        int rc = parse_holiday(json_array_get(v, i), &p->holidays[i], e);
        if (rc) return rc;
    }
    qsort(p->holidays, n, sizeof p->holidays[0], holiday_cmp);
    for (size_t i = 1; i < n; i++)
        if (holiday_cmp(&p->holidays[i - 1], &p->holidays[i]) == 0)
            return sn_fail(e, SN_EUNPROCESSABLE, "holidays", "date %s appears twice",
                           json_string_value(json_object_get(json_array_get(v, i), "date")));
    p->nholidays = (int)n;
    return 0;
}

static int parse_parts(json_t *obj, int merge, bh_parts *p, sn_err *e)
{
    json_t *v;
    int rc = 0;
    if ((v = json_object_get(obj, "timezone"))) rc = parse_zone(v, p, e);
    else if (!merge) rc = sn_fail(e, SN_EUNPROCESSABLE, "timezone", "timezone is required");
    if (rc) return rc;
    if ((v = json_object_get(obj, "weekly"))) rc = parse_weekly(v, p, e);
    else if (!merge) rc = sn_fail(e, SN_EUNPROCESSABLE, "weekly", "weekly is required");
    if (rc) return rc;
    if ((v = json_object_get(obj, "holidays"))) rc = parse_holidays(v, p, e);
    else if (!merge) p->has_holidays = 1; /* replace with none */
    return rc;
}

/* Move the parsed parts into `c`; p->holidays then belongs to `c`. */
static void apply_parts(bh_calendar *c, bh_parts *p)
{
    if (p->has_zone) memcpy(c->timezone, p->zone, sizeof c->timezone);
    if (p->has_weekly) {
        memcpy(c->windows, p->windows, sizeof c->windows);
        c->nwindows = p->nwindows;
    }
    if (p->has_holidays) {
        free(c->holidays);
        c->holidays = p->holidays;
        c->nholidays = p->nholidays;
        p->holidays = NULL;
    }
}

int bh_from_json(bh_calendar *c, json_t *obj, int merge, sn_err *e)
{
    static const char *const keys[] = {"timezone", "weekly", "holidays", NULL};
    bh_parts p;
    memset(&p, 0, sizeof p);
    if (!json_is_object(obj))
        return sn_fail(e, SN_EINVALID, "", "business hours must be a JSON object");
    int rc = check_keys(obj, keys, NULL, e);
    if (rc == 0) rc = parse_parts(obj, merge, &p, e);
    if (rc == 0) apply_parts(c, &p);
    free(p.holidays);
    return rc;
}

/* ------------------------------------------------------------------ JSON: rendering */

static json_t *window_to_json(const bh_window *w)
{
    char start[16], end[16];
    snprintf(start, sizeof start, "%02d:%02d", w->start_min / 60, w->start_min % 60);
    snprintf(end, sizeof end, "%02d:%02d", w->end_min / 60, w->end_min % 60);
    return json_pack("{s:i, s:s, s:s}", "day", w->day, "start", start, "end", end);
}

static json_t *holiday_to_json(const bh_holiday *h)
{
    char date[16];
    snprintf(date, sizeof date, "%04d-%02d-%02d", h->year, h->month, h->day);
    return json_pack("{s:s, s:s}", "date", date, "name", h->name);
}

/* Append `item` (stolen) to `list`; -1 if either is NULL or the append fails. */
static int append(json_t *list, json_t *item)
{
    if (!item) return -1;
    return json_array_append_new(list, item);
}

json_t *bh_to_json(const bh_calendar *c)
{
    json_t *weekly = json_array(), *holidays = json_array(), *out = NULL;
    int bad = !weekly || !holidays;
    for (int i = 0; !bad && i < c->nwindows && i < BH_MAX_WINDOWS; i++)
        bad = append(weekly, window_to_json(&c->windows[i])) != 0;
    for (int i = 0; !bad && i < c->nholidays; i++)
        bad = append(holidays, holiday_to_json(&c->holidays[i])) != 0;
    if (!bad)
        out = json_pack("{s:s, s:O, s:O}", "timezone", c->timezone, "weekly", weekly, "holidays",
                        holidays);
    json_decref(weekly);
    json_decref(holidays);
    return out;
}
