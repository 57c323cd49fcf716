/* hijri.h — dates for people: the Umm al-Qura (Hijri) date of an instant beside its Gregorian
 * date, in a time zone, written in Arabic or English.
 *
 * Owns: ICU's islamic-umalqura calendar (the official calendar of Saudi Arabia) and its long date
 * formats ("٢ رمضان ١٤٤٥ هـ", "2 Ramadan 1445 AH"; "١٢ مارس ٢٠٢٤", "12 March 2024"), through
 * formatters cached per thread and freed when the thread ends. Does not own time zones' rules
 * (ICU's data) or business hours (bizhours.h).
 *
 * Instants are UTC epoch milliseconds, as everywhere in Sanad; the zone is an IANA id
 * (HIJRI_ZONE, Asia/Riyadh, unless a caller has a reason). ICU's Umm al-Qura tables cover
 * 1300–1600 AH (1882–2174 CE); outside them ICU falls back to the arithmetic Islamic calendar. */
#ifndef SANAD_HIJRI_H
#define SANAD_HIJRI_H

#include <stddef.h>
#include <stdint.h>

#define HIJRI_ZONE "Asia/Riyadh"

/* A calendar date; month 1..12 (Muharram = 1 in the Hijri calendar, January = 1 in the
 * Gregorian one); and the time of day on the zone's clock. */
typedef struct hijri_date {
    int year, month, day;
    int hour, minute;
} hijri_date;

typedef enum hijri_calendar { HIJRI_UMALQURA, HIJRI_GREGORIAN } hijri_calendar;

/* The date (and time of day) of instant ms in `zone` in calendar cal. 0, or -1 for an unknown zone (or when ICU
 * fails, e.g. out of memory). */
int hijri_date_of(int64_t ms, const char *zone, hijri_calendar cal, hijri_date *out);

/* The long date of instant ms in `zone`, calendar cal, language lang ("ar": Arabic-Indic digits
 * and Arabic month names, with "هـ" after a Hijri year; anything else: British English, "AH"
 * after a Hijri year), as UTF-8 into out. Returns the length written, or -1 (unknown zone, ICU
 * failure, or out too small — out is then ""). */
int hijri_format(int64_t ms, const char *zone, const char *lang, hijri_calendar cal, char *out,
                 size_t cap);

#endif
