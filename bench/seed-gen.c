/* seed-gen.c — write N synthetic contacts as JSON lines for `sanad import contacts`
 * (bench/seed-scale compiles and runs it; no dependencies beyond libc).
 *
 *   seed-gen N [CUSTOMERS] > contacts.jsonl
 *
 * The shape of the data follows one ministry contact center from January 2020 to May 2021
 * (1,387,698 contacts over 517 days; ~250,000 distinct people):
 *   - channels: phone 55%, email 15%, X 10%, form 12%, chat 8%;
 *   - days: Sunday–Thursday busy, Friday and Saturday about a third as busy; hours mostly
 *     08:00–20:00 Asia/Riyadh, 15% outside them; lines are in time order;
 *   - people: every line carries the person's mobile (the key that makes one customer of all
 *     their channels) plus what its channel knows (email, X handle, national ID on forms);
 *   - repeats: 8% of contacts follow up a recent contact of the same person on the same service
 *     line (possibly on another channel), so they join its conversation or reopen it;
 *   - outcomes: 92% solved without escalation (minutes to hours later), 5% escalated to a
 *     department and solved days later, 1.5% pending, 1.5% left open (per contact: a follow-up
 *     that reopens a conversation makes it no longer first-contact); 95% of contacts carry a
 *     first response, 80% of those within 50 minutes.
 * The output is a pure function of N and CUSTOMERS (a fixed-seed generator). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY_MS 86400000LL
#define MIN_MS 60000LL
#define START_MS 1577826000000LL /* 2020-01-01T00:00:00+03:00 */
#define DAYS 517                 /* to 2021-05-31 inclusive */
#define RECENT 2048

static uint64_t rng_state = 0x5eed5ca1e2021ULL;

static uint64_t rnd(void) /* splitmix64 */
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static double unit(void)
{
    return (double)(rnd() >> 11) / 9007199254740992.0;
}
static int64_t between(int64_t lo, int64_t hi)
{
    return lo + (int64_t)(unit() * (double)(hi - lo));
}

static int pick(const int *weights, int n)
{
    int total = 0;
    for (int i = 0; i < n; i++)
        total += weights[i];
    int r = (int)(unit() * total);
    for (int i = 0; i < n; i++)
        if ((r -= weights[i]) < 0) return i;
    return n - 1;
}

static const char *const channels[] = {"phone", "email", "x", "form", "chat"};
static const int channel_weights[] = {55, 15, 10, 12, 8};
static const char *const lines[] = {"etimad", "payment_refund", "annual_returns", "exemptions",
                                    "expropriation"};
static const int line_weights[] = {30, 25, 20, 15, 10};
static const char *const line_subjects[] = {"استفسار عن منصة اعتماد", "طلب استرداد رصيد المدفوعات",
                                            "العوائد السنوية", "متابعة طلب إعفاء",
                                            "تعويض نزع ملكية"};
static const char *const departments[] = {"it_support", "finance", "exemptions_dept",
                                          "expropriation_dept"};
static const char *const first_names[] = {"محمد", "عبدالله", "فهد", "نورة", "سارة", "خالد",
                                          "ريم",  "سلطان",   "هند", "فيصل", "مها",  "تركي"};
static const char *const family_names[] = {"العتيبي",  "القحطاني", "الشمري", "الدوسري", "الغامدي",
                                           "الزهراني", "المطيري",  "الحربي", "السبيعي"};
static const char *const bodies[] = {
    "السلام عليكم، أرجو إفادتي عن حالة الطلب المقدم الأسبوع الماضي ولم يصلني رد حتى الآن.",
    "لم أتمكن من الدخول إلى الحساب وتظهر رسالة خطأ عند إدخال رمز التحقق.",
    "أرغب في معرفة المستندات المطلوبة لاستكمال الطلب ومدة المعالجة المتوقعة.",
    "تم خصم المبلغ مرتين من الحساب، أرجو استرداد المبلغ المكرر في أقرب وقت.",
    "Hello, I submitted my request online and would like to know its current status.",
};

/* A 10-digit national ID starting with 1 whose Luhn check digit is right. */
static void national_id(long k, char out[11])
{
    snprintf(out, 11, "1%08ld", 10000000 + k % 90000000);
    unsigned sum = 0;
    for (int i = 0; i < 9; i++) { /* positions from the right 1..9 once the check digit is added */
        unsigned v = (unsigned)(out[8 - i] - '0');
        if (i % 2 == 0) {
            v *= 2;
            if (v > 9) v -= 9;
        }
        sum += v;
    }
    out[9] = (char)('0' + (10 - sum % 10) % 10);
    out[10] = '\0';
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Contacts per day: weekdays weigh 3, Friday and Saturday 1, the remainder goes to early days. */
static void day_counts(long n, long counts[DAYS])
{
    double w[DAYS], total = 0;
    for (int d = 0; d < DAYS; d++) {
        int weekday = (3 + d) % 7; /* 2020-01-01 was a Wednesday; 0 = Sunday */
        w[d] = weekday == 5 || weekday == 6 ? 1.0 : 3.0;
        total += w[d];
    }
    long given = 0;
    for (int d = 0; d < DAYS; d++)
        given += counts[d] = (long)((double)n * w[d] / total);
    for (int d = 0; given < n; d = (d + 1) % DAYS, given++)
        counts[d]++;
}

/* A time of day: 85% between 08:00 and 20:00 Riyadh, the rest at any hour. */
static int64_t time_of_day(void)
{
    return unit() < 0.85 ? between(8 * 60 * MIN_MS, 20 * 60 * MIN_MS) : between(0, DAY_MS);
}

typedef struct recent {
    long customer;
    int line;
} recent;

/* Times are written as ISO 8601 UTC, to the second. */
static void put_iso(FILE *f, int64_t ms)
{
    int64_t secs = ms / 1000, days = secs / 86400, rem = secs % 86400;
    /* civil_from_days (H. Hinnant) */
    int64_t z = days + 719468, era = z / 146097, doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
    int64_t d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9;
    int64_t y = yoe + era * 400 + (m <= 2);
    fprintf(f, "\"%04lld-%02lld-%02lldT%02lld:%02lld:%02lldZ\"", (long long)y, (long long)m,
            (long long)d, (long long)(rem / 3600), (long long)(rem / 60 % 60),
            (long long)(rem % 60));
}

static void put_time_field(FILE *f, const char *key, int64_t ms)
{
    fprintf(f, ",\"%s\":", key);
    put_iso(f, ms);
}

/* status, solved_at, escalated_to, first_response_at of one contact received at `at`. */
static void put_outcome(FILE *f, int64_t at)
{
    double r = unit();
    int64_t first = at + (unit() < 0.8 ? between(2, 50) : between(50, 240)) * MIN_MS;
    int answered = unit() < 0.95;
    if (r < 0.92) {
        fputs(",\"status\":\"solved\"", f);
        put_time_field(f, "solved_at", first + between(0, 8 * 60) * MIN_MS);
    } else if (r < 0.97) {
        fprintf(f, ",\"status\":\"solved\",\"escalated_to\":\"%s\"", departments[rnd() % 4]);
        put_time_field(f, "solved_at", at + between(1, 10) * DAY_MS);
    } else if (r < 0.985) {
        fputs(",\"status\":\"pending\"", f);
    }
    if (answered) put_time_field(f, "first_response_at", first);
}

static void put_contact(FILE *f, long seq, int64_t at, int ch, long k, int line)
{
    char id[11], who[256];
    int n = snprintf(who, sizeof who, "\"name\":\"%s %s\",\"phones\":[\"05%08ld\"]",
                     first_names[k % 12], family_names[(k / 12) % 9], 10000000 + k);
    if (ch == 1 || ch == 4)
        snprintf(who + n, sizeof who - (size_t)n, ",\"emails\":[\"c%ld@mail.example\"]", k);
    if (ch == 2) snprintf(who + n, sizeof who - (size_t)n, ",\"x_handle\":\"c%ldx\"", k);
    if (ch == 3) {
        national_id(k, id);
        snprintf(who + n, sizeof who - (size_t)n, ",\"national_id\":\"%s\"", id);
    }
    fprintf(f,
            "{\"external_id\":\"seed-%ld\",\"channel\":\"%s\",\"customer\":{%s},"
            "\"service_line\":\"%s\",\"subject\":\"%s\",\"body\":\"%s\",\"received_at\":",
            seq, channels[ch], who, lines[line], line_subjects[line], bodies[rnd() % 5]);
    put_iso(f, at);
    put_outcome(f, at);
    fputs("}\n", f);
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? strtol(argv[1], NULL, 10) : 1387698;
    long customers = argc > 2 ? strtol(argv[2], NULL, 10) : (long)((double)n * 250000 / 1387698);
    if (n < 1 || customers < 1) {
        fprintf(stderr, "usage: seed-gen N [CUSTOMERS]\n");
        return 2;
    }
    static long counts[DAYS];
    static recent ring[RECENT];
    day_counts(n, counts);
    int64_t *times = NULL;
    long seq = 0, filled = 0;
    for (int d = 0; d < DAYS; d++) {
        int64_t *grown = realloc(times, (size_t)(counts[d] ? counts[d] : 1) * sizeof *times);
        if (!grown) return 1;
        times = grown;
        for (long i = 0; i < counts[d]; i++)
            times[i] = START_MS + d * DAY_MS + time_of_day();
        qsort(times, (size_t)counts[d], sizeof *times, cmp_i64);
        for (long i = 0; i < counts[d]; i++, seq++) {
            recent r = {(long)(rnd() % (uint64_t)customers), pick(line_weights, 5)};
            if (filled && unit() < 0.08)
                r = ring[rnd() % (uint64_t)(filled < RECENT ? filled : RECENT)];
            ring[seq % RECENT] = r;
            filled++;
            put_contact(stdout, seq + 1, times[i], pick(channel_weights, 5), r.customer, r.line);
        }
    }
    free(times);
    return fflush(stdout) == 0 ? 0 : 1;
}
