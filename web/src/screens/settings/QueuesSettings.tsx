// QueuesSettings — routing queues: a service line (optionally one channel) and how new
// conversations are handed out (manual, round robin, least open).
import { useState } from 'preact/hooks';
import { api } from '../../api/client';
import { CHANNELS, type Queue } from '../../api/types';
import { Field, fieldError } from '../../components/Field';
import { t, unitName } from '../../lib/i18n';
import { refdata, serviceLineName } from '../../lib/refdata';
import { useStore } from '../../lib/store';
import { EditButton, EditDialog, ListState, ListTable, SectionHead, useEditor, useList } from './kit';

const POLICIES: Queue['policy'][] = ['manual', 'round_robin', 'least_open'];

function QueueDialog({ queue, onClose, onSaved }: { queue: Queue | null; onClose: () => void; onSaved: () => void }) {
    const rd = useStore(refdata);
    const [line, setLine] = useState(queue?.service_line ?? rd.serviceLines[0]?.code ?? '');
    const [channel, setChannel] = useState(queue?.channel ?? '');
    const [policy, setPolicy] = useState<Queue['policy']>(queue?.policy ?? 'round_robin');
    const save = () => (queue ? api.patch(`/api/v1/queues/${queue.id}`, { service_line: line, channel, policy }) : api.post('/api/v1/queues', { service_line: line, channel, policy }));
    return (
        <EditDialog id="queue-dialog" title={queue ? t('queues.edit') : t('queues.new')} save={save} onClose={onClose} onSaved={onSaved} fields={['service_line', 'channel', 'policy']}>
            {(err) => (
                <>
                    <Field label={t('filter.service_line')} id="q-line" error={fieldError(err, 'service_line')}>
                        <select id="q-line" value={line} onChange={(e) => setLine(e.currentTarget.value)}>
                            {rd.serviceLines.map((s) => (
                                <option key={s.code} value={s.code}>
                                    {unitName(s)}
                                </option>
                            ))}
                        </select>
                    </Field>
                    <Field label={t('filter.channel')} id="q-channel" error={fieldError(err, 'channel')}>
                        <select id="q-channel" value={channel} onChange={(e) => setChannel(e.currentTarget.value)}>
                            <option value="">{t('supervisor.all_channels')}</option>
                            {CHANNELS.map((c) => (
                                <option key={c} value={c}>
                                    {t(`channel.${c}`)}
                                </option>
                            ))}
                        </select>
                    </Field>
                    <Field label={t('queues.policy')} id="q-policy" error={fieldError(err, 'policy')}>
                        <select id="q-policy" value={policy} onChange={(e) => setPolicy(e.currentTarget.value as Queue['policy'])}>
                            {POLICIES.map((p) => (
                                <option key={p} value={p}>
                                    {t(`queues.policy.${p}`)}
                                </option>
                            ))}
                        </select>
                    </Field>
                </>
            )}
        </EditDialog>
    );
}

export function QueuesSettings() {
    const { items, err, reload } = useList<Queue>('/api/v1/queues');
    const ed = useEditor<Queue>(reload);
    return (
        <div>
            <SectionHead title={t('settings.queues')} action={t('queues.new')} onAction={() => ed.edit('new')} />
            <ListState items={items} err={err} />
            {items && items.length > 0 && (
                <ListTable
                    items={items}
                    heads={[t('filter.service_line'), t('filter.channel'), t('queues.policy')]}
                    cells={(q) => (
                        <>
                            <td>{serviceLineName(q.service_line)}</td>
                            <td>{q.channel ? t(`channel.${q.channel}`) : t('supervisor.all_channels')}</td>
                            <td>{t(`queues.policy.${q.policy}`)}</td>
                        </>
                    )}
                    actions={(q) => <EditButton onClick={() => ed.edit(q)} />}
                />
            )}
            {ed.editing && <QueueDialog queue={ed.target} {...ed.dialog} />}
        </div>
    );
}
