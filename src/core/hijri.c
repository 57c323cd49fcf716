/* hijri.c — Umm al-Qura and Gregorian dates through ICU, with formatters cached per thread.
 *
 * Opening an ICU date formatter costs tens of microseconds (locale data, calendar, zone), so each
 * thread keeps the few it uses — one per (language, calendar, zone) — in a small table that a
 * pthread key frees when the thread ends. A page formats two dates; after the first request on
 * a thread that is two udat_format calls. */
#include "core/hijri.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/ucal.h>
#include <unicode/udat.h>
#include <unicode/ustring.h>

#define ZONE_MAX 64
#define SLOTS 8

typedef struct slot {
    int used, arabic;
    hijri_calendar cal;
    char zone[ZONE_MAX];
    UDateFormat *fmt; /* owns its calendar; ucal for hijri_date_of comes from it too */
} slot;

typedef struct tls {
    slot slots[SLOTS];
    int next; /* the slot replaced when all are taken */
} tls;

static pthread_key_t tls_key;
static pthread_once_t tls_once = PTHREAD_ONCE_INIT;
static int tls_ready;

static void tls_free(void *p)
{
    tls *t = p;
    for (int i = 0; i < SLOTS; i++)
        if (t->slots[i].fmt) udat_close(t->slots[i].fmt);
    free(t);
}

static void tls_init(void)
{
    tls_ready = pthread_key_create(&tls_key, tls_free) == 0;
}

/* An IANA zone id as UTF-16; -1 if empty, too long or not a system id ICU knows (ICU would
 * otherwise quietly use GMT). */
static int zone_uchars(const char *zone, UChar *out, int cap)
{
    int n = 0;
    for (; zone[n]; n++) {
        char ch = zone[n];
        int ok = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
                 ch == '/' || ch == '_' || ch == '-' || ch == '+';
        if (!ok || n + 1 >= cap) return -1;
        out[n] = (UChar)ch;
    }
    if (n == 0) return -1;
    out[n] = 0;
    UChar canon[ZONE_MAX * 2];
    UBool system = 0;
    UErrorCode st = U_ZERO_ERROR;
    ucal_getCanonicalTimeZoneID(out, n, canon, ZONE_MAX * 2, &system, &st);
    return U_SUCCESS(st) && system ? n : -1;
}

static UDateFormat *open_format(int arabic, hijri_calendar cal, const char *zone)
{
    static const char *const locales[2][2] = {
        {"en_GB@calendar=islamic-umalqura", "en_GB@calendar=gregorian"},
        {"ar_SA@calendar=islamic-umalqura", "ar_SA@calendar=gregorian"},
    };
    UChar z[ZONE_MAX];
    int n = zone_uchars(zone, z, ZONE_MAX);
    if (n < 0) return NULL;
    UErrorCode st = U_ZERO_ERROR;
    UDateFormat *f = udat_open(UDAT_NONE, UDAT_LONG, locales[arabic][cal == HIJRI_GREGORIAN], z, n,
                               NULL, 0, &st);
    if (U_FAILURE(st)) {
        if (f) udat_close(f);
        return NULL;
    }
    return f;
}

/* This thread's formatter for (arabic, cal, zone), or NULL. It belongs to the cache. */
static UDateFormat *thread_format(int arabic, hijri_calendar cal, const char *zone)
{
    if (strlen(zone) >= ZONE_MAX) return NULL;
    pthread_once(&tls_once, tls_init);
    if (!tls_ready) return NULL;
    tls *t = pthread_getspecific(tls_key);
    if (!t) {
        if (!(t = calloc(1, sizeof *t))) return NULL;
        if (pthread_setspecific(tls_key, t) != 0) {
            free(t);
            return NULL;
        }
    }
    for (int i = 0; i < SLOTS; i++) {
        slot *s = &t->slots[i];
        if (s->used && s->arabic == arabic && s->cal == cal && !strcmp(s->zone, zone))
            return s->fmt;
    }
    UDateFormat *f = open_format(arabic, cal, zone);
    if (!f) return NULL;
    slot *s = &t->slots[t->next];
    t->next = (t->next + 1) % SLOTS;
    if (s->fmt) udat_close(s->fmt);
    *s = (slot){1, arabic, cal, "", f};
    memcpy(s->zone, zone, strlen(zone) + 1);
    return f;
}

int hijri_date_of(int64_t ms, const char *zone, hijri_calendar cal, hijri_date *out)
{
    UDateFormat *f = thread_format(0, cal, zone);
    if (!f) return -1;
    UErrorCode st = U_ZERO_ERROR;
    UCalendar *uc = ucal_clone(udat_getCalendar(f), &st);
    if (U_FAILURE(st)) return -1;
    ucal_setMillis(uc, (UDate)ms, &st);
    out->year = ucal_get(uc, UCAL_YEAR, &st);
    out->month = ucal_get(uc, UCAL_MONTH, &st) + 1;
    out->day = ucal_get(uc, UCAL_DATE, &st);
    out->hour = ucal_get(uc, UCAL_HOUR_OF_DAY, &st);
    out->minute = ucal_get(uc, UCAL_MINUTE, &st);
    ucal_close(uc);
    return U_SUCCESS(st) ? 0 : -1;
}

int hijri_format(int64_t ms, const char *zone, const char *lang, hijri_calendar cal, char *out,
                 size_t cap)
{
    if (cap == 0) return -1;
    out[0] = '\0';
    UDateFormat *f = thread_format(lang && !strcmp(lang, "ar"), cal, zone);
    if (!f) return -1;
    UChar text[128];
    UErrorCode st = U_ZERO_ERROR;
    int32_t n = udat_format(f, (UDate)ms, text, 128, NULL, &st);
    if (U_FAILURE(st) || st == U_STRING_NOT_TERMINATED_WARNING) return -1;
    int32_t len = 0;
    u_strToUTF8(out, (int32_t)(cap > INT32_MAX ? INT32_MAX : cap), &len, text, n, &st);
    if (U_FAILURE(st) || (size_t)len >= cap) {
        out[0] = '\0';
        return -1;
    }
    out[len] = '\0';
    return len;
}
