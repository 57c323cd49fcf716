// WebhooksSettings — signed POSTs of events to outside systems: URL, events, secret (write-only),
// enabled; recent deliveries with their state and last error.
import { useEffect, useState } from 'preact/hooks';
import { api } from '../../api/client';
import { Dialog } from '../../components/Dialog';
import { Field, fieldError } from '../../components/Field';
import { When } from '../../components/When';
import { errorText } from '../../lib/errors';
import { t } from '../../lib/i18n';
import { DeleteButton, EditButton, EditDialog, EnableButton, ListState, ListTable, SectionHead, useEditor, useList } from './kit';

interface Webhook {
    id: number;
    url: string;
    events: string[];
    enabled: boolean;
    created_at: string;
}

interface Delivery {
    id: number;
    event: string;
    state: string;
    attempts: number;
    max_attempts: number;
    last_error: string;
    created_at: string;
    updated_at: string;
}

const EVENTS = ['conversation.created', 'conversation.updated', 'contact.joined', 'message.created', 'escalation.created', 'escalation.updated', 'agent.availability'];

function WebhookDialog({ hook, onClose, onSaved }: { hook: Webhook | null; onClose: () => void; onSaved: () => void }) {
    const [url, setUrl] = useState(hook?.url ?? 'https://');
    const [events, setEvents] = useState<string[]>(hook?.events ?? ['*']);
    const [secret, setSecret] = useState('');
    const [enabled, setEnabled] = useState(hook?.enabled ?? true);
    const all = events.includes('*');
    const save = () => {
        const body: Record<string, unknown> = { url, events, enabled };
        if (secret) body.secret = secret;
        return hook ? api.patch(`/api/v1/webhooks/${hook.id}`, body) : api.post('/api/v1/webhooks', body);
    };
    return (
        <EditDialog id="webhook-dialog" title={hook ? t('webhooks.edit') : t('webhooks.new')} save={save} onClose={onClose} onSaved={onSaved} fields={['url', 'events', 'secret']}>
            {(err) => (
                <>
                    <Field label={t('webhooks.url')} id="wh-url" error={fieldError(err, 'url')}>
                        <input id="wh-url" type="url" dir="ltr" value={url} onInput={(e) => setUrl(e.currentTarget.value)} required />
                    </Field>
                    <fieldset class="checks">
                        <legend>{t('webhooks.events')}</legend>
                        <label>
                            <input type="checkbox" checked={all} onChange={(e) => setEvents(e.currentTarget.checked ? ['*'] : [])} />
                            {t('webhooks.all_events')}
                        </label>
                        {!all &&
                            EVENTS.map((ev) => (
                                <label key={ev}>
                                    <input type="checkbox" checked={events.includes(ev)} onChange={(e) => setEvents(e.currentTarget.checked ? [...events, ev] : events.filter((x) => x !== ev))} />
                                    <code dir="ltr">{ev}</code>
                                </label>
                            ))}
                        {fieldError(err, 'events') && <p class="field-error">{fieldError(err, 'events')}</p>}
                    </fieldset>
                    <Field label={hook ? t('webhooks.new_secret') : t('webhooks.secret')} id="wh-secret" error={fieldError(err, 'secret')} hint={t('webhooks.secret_hint')}>
                        <input id="wh-secret" type="password" dir="ltr" autoComplete="off" value={secret} onInput={(e) => setSecret(e.currentTarget.value)} required={!hook} />
                    </Field>
                    <label class="check">
                        <input type="checkbox" checked={enabled} onChange={(e) => setEnabled(e.currentTarget.checked)} />
                        {t('settings.enabled')}
                    </label>
                </>
            )}
        </EditDialog>
    );
}

function Deliveries({ hook, onClose }: { hook: Webhook; onClose: () => void }) {
    const [items, setItems] = useState<Delivery[] | null>(null);
    const [err, setErr] = useState<unknown>(null);
    useEffect(() => {
        api.get<{ items: Delivery[] }>(`/api/v1/webhooks/${hook.id}/deliveries?limit=50`).then((r) => setItems(r.items), setErr);
    }, [hook.id]);
    return (
        <Dialog id="deliveries-dialog" title={t('webhooks.deliveries')} onClose={onClose}>
            {err !== null && <p class="form-error">{errorText(err)}</p>}
            <ListState items={items} err={null} />
            {items && items.length > 0 && (
                <table class="table">
                    <thead>
                        <tr>
                            <th scope="col">{t('webhooks.event')}</th>
                            <th scope="col">{t('webhooks.state')}</th>
                            <th scope="col">{t('webhooks.attempts')}</th>
                            <th scope="col">{t('webhooks.last_error')}</th>
                            <th scope="col">{t('webhooks.when')}</th>
                        </tr>
                    </thead>
                    <tbody>
                        {items.map((d) => (
                            <tr key={d.id}>
                                <td dir="ltr">{d.event}</td>
                                <td>{d.state}</td>
                                <td class="num">
                                    {d.attempts}/{d.max_attempts}
                                </td>
                                <td dir="ltr">{d.last_error}</td>
                                <td>
                                    <When iso={d.updated_at} />
                                </td>
                            </tr>
                        ))}
                    </tbody>
                </table>
            )}
        </Dialog>
    );
}

export function WebhooksSettings() {
    const { items, err, reload } = useList<Webhook>('/api/v1/webhooks', false);
    const ed = useEditor<Webhook>(reload);
    const [viewing, setViewing] = useState<Webhook | null>(null);
    return (
        <div>
            <SectionHead title={t('settings.webhooks')} action={t('webhooks.new')} onAction={() => ed.edit('new')} />
            <ListState items={items} err={err} />
            {items && items.length > 0 && (
                <ListTable
                    items={items}
                    heads={[t('webhooks.url'), t('webhooks.events'), t('settings.enabled')]}
                    muted={(h) => !h.enabled}
                    cells={(h) => (
                        <>
                            <td dir="ltr">{h.url}</td>
                            <td dir="ltr">{h.events.join(', ')}</td>
                            <td>{h.enabled ? t('settings.yes') : t('settings.no')}</td>
                        </>
                    )}
                    actions={(h) => (
                        <>
                            <EditButton onClick={() => ed.edit(h)} />
                            <button type="button" class="btn small" onClick={() => setViewing(h)}>
                                {t('webhooks.deliveries')}
                            </button>
                            <EnableButton path={`/api/v1/webhooks/${h.id}`} enabled={h.enabled} done={() => void reload()} />
                            <DeleteButton path={`/api/v1/webhooks/${h.id}`} name={h.url} done={() => void reload()} />
                        </>
                    )}
                />
            )}
            {ed.editing && <WebhookDialog hook={ed.target} {...ed.dialog} />}
            {viewing && <Deliveries hook={viewing} onClose={() => setViewing(null)} />}
        </div>
    );
}
