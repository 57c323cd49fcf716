// TriggersSettings — rules run on events (contact created, conversation created/updated): the
// conditions and actions are edited as JSON, checked by the server, errors shown per field.
import { useState } from 'preact/hooks';
import { api, ApiError } from '../../api/client';
import { Field, fieldError } from '../../components/Field';
import { t } from '../../lib/i18n';
import { DeleteButton, EditButton, EditDialog, EnableButton, ListState, ListTable, SectionHead, useEditor, useList } from './kit';

interface Trigger {
    id: number;
    name: string;
    position: number;
    enabled: boolean;
    event: string;
    conditions: unknown;
    actions: unknown[];
}

const EVENTS = ['contact.created', 'conversation.created', 'conversation.updated'];

function parseJson(text: string, field: string): unknown {
    try {
        return text.trim() ? JSON.parse(text) : undefined;
    } catch {
        throw new ApiError(400, 'invalid_json', t('triggers.bad_json'), field);
    }
}

function TriggerDialog({ trig, onClose, onSaved }: { trig: Trigger | null; onClose: () => void; onSaved: () => void }) {
    const [name, setName] = useState(trig?.name ?? '');
    const [event, setEvent] = useState(trig?.event ?? EVENTS[0]);
    const [enabled, setEnabled] = useState(trig?.enabled ?? true);
    const [position, setPosition] = useState(trig ? String(trig.position) : '');
    const [conditions, setConditions] = useState(trig?.conditions ? JSON.stringify(trig.conditions, null, 2) : '{\n  "all": [{ "field": "channel", "op": "is", "value": "email" }]\n}');
    const [actions, setActions] = useState(trig?.actions ? JSON.stringify(trig.actions, null, 2) : '[\n  { "type": "set_priority", "priority": "high" }\n]');
    const save = () => {
        const body: Record<string, unknown> = { name, event, enabled, conditions: parseJson(conditions, 'conditions'), actions: parseJson(actions, 'actions') };
        if (position.trim()) body.position = Number(position);
        if (body.conditions === undefined) delete body.conditions;
        return trig ? api.patch(`/api/v1/triggers/${trig.id}`, body) : api.post('/api/v1/triggers', body);
    };
    return (
        <EditDialog id="trigger-dialog" title={trig ? t('triggers.edit', { name: trig.name }) : t('triggers.new')} save={save} onClose={onClose} onSaved={onSaved} fields={['name', 'event', 'position', 'conditions', 'actions']}>
            {(err) => (
                <>
                    <Field label={t('triggers.name')} id="trg-name" error={fieldError(err, 'name')}>
                        <input id="trg-name" dir="auto" value={name} onInput={(e) => setName(e.currentTarget.value)} required />
                    </Field>
                    <Field label={t('triggers.event')} id="trg-event" error={fieldError(err, 'event')}>
                        <select id="trg-event" value={event} onChange={(e) => setEvent(e.currentTarget.value)}>
                            {EVENTS.map((x) => (
                                <option key={x} value={x}>
                                    {t(`triggers.event.${x}`)}
                                </option>
                            ))}
                        </select>
                    </Field>
                    <Field label={t('triggers.position')} id="trg-pos" error={fieldError(err, 'position')}>
                        <input id="trg-pos" type="number" dir="ltr" value={position} onInput={(e) => setPosition(e.currentTarget.value)} />
                    </Field>
                    <label class="check">
                        <input type="checkbox" checked={enabled} onChange={(e) => setEnabled(e.currentTarget.checked)} />
                        {t('settings.enabled')}
                    </label>
                    <Field label={t('triggers.conditions')} id="trg-cond" error={fieldError(err, 'conditions')} hint={t('triggers.conditions_hint')}>
                        <textarea id="trg-cond" class="code" dir="ltr" rows={6} value={conditions} onInput={(e) => setConditions(e.currentTarget.value)} />
                    </Field>
                    <Field label={t('triggers.actions')} id="trg-actions" error={fieldError(err, 'actions')} hint={t('triggers.actions_hint')}>
                        <textarea id="trg-actions" class="code" dir="ltr" rows={6} value={actions} onInput={(e) => setActions(e.currentTarget.value)} />
                    </Field>
                </>
            )}
        </EditDialog>
    );
}

export function TriggersSettings() {
    const { items, err, reload } = useList<Trigger>('/api/v1/triggers', false);
    const ed = useEditor<Trigger>(reload);
    return (
        <div>
            <SectionHead title={t('settings.triggers')} action={t('triggers.new')} onAction={() => ed.edit('new')} />
            <ListState items={items} err={err} />
            {items && items.length > 0 && (
                <ListTable
                    items={items}
                    heads={[t('triggers.position'), t('triggers.name'), t('triggers.event'), t('settings.enabled')]}
                    muted={(x) => !x.enabled}
                    cells={(x) => (
                        <>
                            <td class="num">{x.position}</td>
                            <td dir="auto">{x.name}</td>
                            <td>{t(`triggers.event.${x.event}`)}</td>
                            <td>{x.enabled ? t('settings.yes') : t('settings.no')}</td>
                        </>
                    )}
                    actions={(x) => (
                        <>
                            <EditButton onClick={() => ed.edit(x)} />
                            <EnableButton path={`/api/v1/triggers/${x.id}`} enabled={x.enabled} done={() => void reload()} />
                            <DeleteButton path={`/api/v1/triggers/${x.id}`} name={x.name} done={() => void reload()} />
                        </>
                    )}
                />
            )}
            {ed.editing && <TriggerDialog trig={ed.target} {...ed.dialog} />}
        </div>
    );
}
