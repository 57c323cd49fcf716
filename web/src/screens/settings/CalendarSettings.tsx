// CalendarSettings — business hours per weekday and holidays of the default calendar (the SLA
// clocks run only inside them).
import { useEffect, useState } from 'preact/hooks';
import { api } from '../../api/client';
import type { Calendar } from '../../api/types';
import { FormError, fieldError } from '../../components/Field';
import { toast, toastError } from '../../components/Toasts';
import { errorText } from '../../lib/errors';
import { t } from '../../lib/i18n';
import { SectionHead } from './kit';

interface DayRow {
    open: boolean;
    start: string;
    end: string;
}

export function CalendarSettings() {
    const [cal, setCal] = useState<Calendar | null>(null);
    const [days, setDays] = useState<DayRow[]>([]);
    const [holidays, setHolidays] = useState<{ date: string; name: string }[]>([]);
    const [zone, setZone] = useState('Asia/Riyadh');
    const [err, setErr] = useState<unknown>(null);
    const [busy, setBusy] = useState(false);

    const load = async () => {
        try {
            const c = await api.get<Calendar>('/api/v1/calendars/default');
            setCal(c);
            setZone(c.timezone);
            setHolidays(c.holidays);
            setDays([0, 1, 2, 3, 4, 5, 6].map((d) => {
                const w = c.weekly.find((x) => x.day === d);
                return { open: !!w, start: w?.start ?? '08:00', end: w?.end ?? '16:00' };
            }));
        } catch (e) {
            setErr(e);
        }
    };
    useEffect(() => {
        void load();
    }, []);

    const save = async (e: Event) => {
        e.preventDefault();
        setBusy(true);
        setErr(null);
        try {
            const weekly = days.flatMap((d, i) => (d.open ? [{ day: i, start: d.start, end: d.end }] : []));
            await api.patch('/api/v1/calendars/default', { timezone: zone, weekly, holidays: holidays.filter((h) => h.date) });
            toast(t('settings.saved'));
            await load();
        } catch (x) {
            setErr(x);
            toastError(x);
        } finally {
            setBusy(false);
        }
    };
    const setDay = (i: number, patch: Partial<DayRow>) => setDays(days.map((d, k) => (k === i ? { ...d, ...patch } : d)));

    if (!cal) return <div>{err ? <p class="form-error">{errorText(err)}</p> : <p class="hint">{t('state.loading')}</p>}</div>;
    return (
        <form onSubmit={save}>
            <SectionHead title={t('settings.calendar')} />
            <label class="field">
                <span class="label-text">{t('calendar.timezone')}</span>
                <input id="cal-zone" dir="ltr" value={zone} onInput={(e) => setZone(e.currentTarget.value)} />
                {fieldError(err, 'timezone') && <span class="field-error">{fieldError(err, 'timezone')}</span>}
            </label>
            <table class="table">
                <caption>{t('calendar.weekly')}</caption>
                <thead>
                    <tr>
                        <th scope="col">{t('calendar.day')}</th>
                        <th scope="col">{t('calendar.open')}</th>
                        <th scope="col">{t('calendar.start')}</th>
                        <th scope="col">{t('calendar.end')}</th>
                    </tr>
                </thead>
                <tbody>
                    {days.map((d, i) => (
                        <tr key={i}>
                            <th scope="row">{t(`calendar.day.${i}`)}</th>
                            <td>
                                <input type="checkbox" aria-label={t('calendar.open_on', { day: t(`calendar.day.${i}`) })} checked={d.open} onChange={(e) => setDay(i, { open: e.currentTarget.checked })} />
                            </td>
                            <td>
                                <input type="time" dir="ltr" aria-label={t('calendar.start_on', { day: t(`calendar.day.${i}`) })} value={d.start} disabled={!d.open} onInput={(e) => setDay(i, { start: e.currentTarget.value })} />
                            </td>
                            <td>
                                <input type="time" dir="ltr" aria-label={t('calendar.end_on', { day: t(`calendar.day.${i}`) })} value={d.end} disabled={!d.open} onInput={(e) => setDay(i, { end: e.currentTarget.value })} />
                            </td>
                        </tr>
                    ))}
                </tbody>
            </table>
            {fieldError(err, 'weekly') && <p class="field-error">{fieldError(err, 'weekly')}</p>}
            <h3>{t('calendar.holidays')}</h3>
            <ul class="holiday-list">
                {holidays.map((h, i) => (
                    <li key={i}>
                        <input type="date" dir="ltr" aria-label={t('calendar.holiday_date')} value={h.date} onInput={(e) => setHolidays(holidays.map((x, k) => (k === i ? { ...x, date: e.currentTarget.value } : x)))} />
                        <input dir="auto" aria-label={t('calendar.holiday_name')} value={h.name} onInput={(e) => setHolidays(holidays.map((x, k) => (k === i ? { ...x, name: e.currentTarget.value } : x)))} />
                        <button type="button" class="btn small" onClick={() => setHolidays(holidays.filter((_, k) => k !== i))}>
                            {t('action.remove')}
                        </button>
                    </li>
                ))}
            </ul>
            {fieldError(err, 'holidays') && <p class="field-error">{fieldError(err, 'holidays')}</p>}
            <button type="button" class="btn" onClick={() => setHolidays([...holidays, { date: '', name: '' }])}>
                {t('calendar.add_holiday')}
            </button>
            <FormError err={err} fields={['timezone', 'weekly', 'holidays']} />
            <div class="form-actions">
                <button type="submit" class="btn primary" disabled={busy}>
                    {t('action.save')}
                </button>
            </div>
        </form>
    );
}
