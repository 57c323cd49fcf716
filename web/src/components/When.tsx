// When — a time as agents read it: Riyadh time, Gregorian date with the Hijri date beside it in
// the full form; the machine-readable time in <time datetime>.
import { fullDateTime, hijriDate, gregorianDate, relative, shortDateTime, timeOfDay, toDate } from '../lib/dates';

export function When({ iso, mode = 'short' }: { iso: string | null | undefined; mode?: 'short' | 'full' | 'time' | 'relative' }) {
    const d = toDate(iso);
    if (!d) return null;
    const full = fullDateTime(d);
    let text = full;
    if (mode === 'short') text = shortDateTime(d);
    else if (mode === 'time') text = timeOfDay(d);
    else if (mode === 'relative') text = relative(d);
    return (
        <time dateTime={d.toISOString()} title={full}>
            {text}
        </time>
    );
}

/* A day heading: "Thursday 26 November 2026 · 16 Jumada II 1448 AH". */
export function DayHeading({ iso }: { iso: string }) {
    const d = toDate(iso);
    if (!d) return null;
    return (
        <time class="day-heading" dateTime={d.toISOString().slice(0, 10)}>
            <span class="greg">{gregorianDate(d)}</span>
            <span class="sep" aria-hidden="true">
                ·
            </span>
            <span class="hijri">{hijriDate(d)}</span>
        </time>
    );
}
