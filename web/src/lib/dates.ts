// dates.ts — every time is shown in Asia/Riyadh; dates carry the Hijri (Umm al-Qura) date beside
// the Gregorian one. Digits are Latin in both languages, like the numbers agents type.
import { lang, t } from './i18n';

export const ZONE = 'Asia/Riyadh';

const cache = new Map<string, Intl.DateTimeFormat>();

function fmt(kind: string, opts: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
    const l = lang.get();
    const key = `${l}:${kind}`;
    let f = cache.get(key);
    if (!f) {
        const locale = l === 'ar' ? 'ar-SA-u-nu-latn' : 'en-GB';
        f = new Intl.DateTimeFormat(locale, { timeZone: ZONE, ...opts });
        cache.set(key, f);
    }
    return f;
}

export function toDate(iso: string | null | undefined): Date | null {
    if (!iso) return null;
    const d = new Date(iso);
    return Number.isNaN(d.getTime()) ? null : d;
}

export function gregorianDate(d: Date): string {
    return fmt('g-date', { calendar: 'gregory', day: 'numeric', month: 'long', year: 'numeric' }).format(d);
}

export function hijriDate(d: Date): string {
    return fmt('h-date', { calendar: 'islamic-umalqura', day: 'numeric', month: 'long', year: 'numeric' }).format(d);
}

export function weekday(d: Date): string {
    return fmt('weekday', { weekday: 'long' }).format(d);
}

export function timeOfDay(d: Date): string {
    return fmt('time', { hour: 'numeric', minute: '2-digit' }).format(d);
}

export function shortDateTime(d: Date): string {
    return fmt('short', { calendar: 'gregory', day: 'numeric', month: 'short', hour: 'numeric', minute: '2-digit' }).format(d);
}

/* "26 November 2026 · 16 Jumada II 1448 AH, 13:20" */
export function fullDateTime(d: Date): string {
    return t('date.with_time', { date: gregorianDate(d), hijri: hijriDate(d), time: timeOfDay(d) });
}

/* The Riyadh calendar day of d, for grouping a timeline by day. */
export function dayKey(d: Date): string {
    return new Intl.DateTimeFormat('en-CA', { timeZone: ZONE, year: 'numeric', month: '2-digit', day: '2-digit' }).format(d);
}

/* "5 min", "3 h", "2 d": a duration for SLA clocks and waits. */
export function duration(ms: number): string {
    const m = Math.max(0, Math.round(ms / 60000));
    if (m < 60) return t('time.minutes', { count: m });
    const h = Math.floor(m / 60);
    if (h < 48) return t('time.hours', { count: h });
    return t('time.days', { count: Math.floor(h / 24) });
}

const relativeFormats: Partial<Record<string, Intl.RelativeTimeFormat>> = {};

/* "3 min ago" / "in 3 min" relative to now. */
export function relative(d: Date, now = Date.now()): string {
    const diff = d.getTime() - now;
    const l = lang.get();
    const rtf = (relativeFormats[l] ??= new Intl.RelativeTimeFormat(l === 'ar' ? 'ar-SA-u-nu-latn' : 'en-GB', { numeric: 'auto' }));
    const abs = Math.abs(diff);
    if (abs < 60_000) return rtf.format(0, 'second');
    if (abs < 3_600_000) return rtf.format(Math.round(diff / 60_000), 'minute');
    if (abs < 86_400_000) return rtf.format(Math.round(diff / 3_600_000), 'hour');
    return rtf.format(Math.round(diff / 86_400_000), 'day');
}
