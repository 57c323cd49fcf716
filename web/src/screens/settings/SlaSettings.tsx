// SlaSettings — SLA policies: for a service line and/or priority (or any), the business minutes
// to the first reply and to resolution, on a calendar.
import { useState } from 'preact/hooks';
import { api } from '../../api/client';
import { PRIORITIES, type SlaPolicy } from '../../api/types';
import { Field, fieldError } from '../../components/Field';
import { t, unitName } from '../../lib/i18n';
import { refdata, serviceLineName } from '../../lib/refdata';
import { useStore } from '../../lib/store';
import { EditButton, EditDialog, ListState, ListTable, SectionHead, useEditor, useList } from './kit';

function PolicyDialog({ policy, onClose, onSaved }: { policy: SlaPolicy | null; onClose: () => void; onSaved: () => void }) {
    const rd = useStore(refdata);
    const [line, setLine] = useState(policy?.service_line ?? '');
    const [priority, setPriority] = useState(policy?.priority ?? '');
    const [first, setFirst] = useState(String(policy?.first_response_minutes ?? 60));
    const [resolution, setResolution] = useState(String(policy?.resolution_minutes ?? 1440));
    const [calendar, setCalendar] = useState(policy?.calendar ?? 'default');
    const save = () => {
        const body: Record<string, unknown> = { first_response_minutes: Number(first), resolution_minutes: Number(resolution), calendar };
        if (line) body.service_line = line;
        if (priority) body.priority = priority;
        return policy ? api.patch(`/api/v1/sla-policies/${policy.id}`, body) : api.post('/api/v1/sla-policies', body);
    };
    return (
        <EditDialog id="sla-dialog" title={policy ? t('sla.edit') : t('sla.new')} save={save} onClose={onClose} onSaved={onSaved} fields={['service_line', 'priority', 'first_response_minutes', 'resolution_minutes', 'calendar']}>
            {(err) => (
                <>
                    <Field label={t('filter.service_line')} id="sla-line" error={fieldError(err, 'service_line')}>
                        <select id="sla-line" value={line} onChange={(e) => setLine(e.currentTarget.value)}>
                            <option value="">{t('filter.any')}</option>
                            {rd.serviceLines.map((s) => (
                                <option key={s.code} value={s.code}>
                                    {unitName(s)}
                                </option>
                            ))}
                        </select>
                    </Field>
                    <Field label={t('conversation.priority')} id="sla-priority" error={fieldError(err, 'priority')}>
                        <select id="sla-priority" value={priority} onChange={(e) => setPriority(e.currentTarget.value)}>
                            <option value="">{t('filter.any')}</option>
                            {PRIORITIES.map((p) => (
                                <option key={p} value={p}>
                                    {t(`priority.${p}`)}
                                </option>
                            ))}
                        </select>
                    </Field>
                    <Field label={t('sla.first_response_minutes')} id="sla-first" error={fieldError(err, 'first_response_minutes')}>
                        <input id="sla-first" type="number" min={1} dir="ltr" value={first} onInput={(e) => setFirst(e.currentTarget.value)} />
                    </Field>
                    <Field label={t('sla.resolution_minutes')} id="sla-res" error={fieldError(err, 'resolution_minutes')}>
                        <input id="sla-res" type="number" min={1} dir="ltr" value={resolution} onInput={(e) => setResolution(e.currentTarget.value)} />
                    </Field>
                    <Field label={t('sla.calendar')} id="sla-cal" error={fieldError(err, 'calendar')}>
                        <input id="sla-cal" dir="ltr" value={calendar} onInput={(e) => setCalendar(e.currentTarget.value)} />
                    </Field>
                </>
            )}
        </EditDialog>
    );
}

export function SlaSettings() {
    const { items, err, reload } = useList<SlaPolicy>('/api/v1/sla-policies', false);
    const ed = useEditor<SlaPolicy>(reload);
    return (
        <div>
            <SectionHead title={t('settings.sla-policies')} action={t('sla.new')} onAction={() => ed.edit('new')} />
            <p class="hint">{t('sla.default_hint')}</p>
            <ListState items={items} err={err} />
            {items && items.length > 0 && (
                <ListTable
                    items={items}
                    heads={[t('filter.service_line'), t('conversation.priority'), t('sla.first_response_minutes'), t('sla.resolution_minutes'), t('sla.calendar')]}
                    cells={(p) => (
                        <>
                            <td>{p.service_line ? serviceLineName(p.service_line) : t('filter.any')}</td>
                            <td>{p.priority ? t(`priority.${p.priority}`) : t('filter.any')}</td>
                            <td class="num">{p.first_response_minutes}</td>
                            <td class="num">{p.resolution_minutes}</td>
                            <td dir="ltr">{p.calendar}</td>
                        </>
                    )}
                    actions={(p) => <EditButton onClick={() => ed.edit(p)} />}
                />
            )}
            {ed.editing && <PolicyDialog policy={ed.target} {...ed.dialog} />}
        </div>
    );
}
