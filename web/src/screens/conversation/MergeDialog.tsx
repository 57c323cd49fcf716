// MergeDialog — fold another conversation into this one: pick one of the customer's other
// conversations, or give a conversation number.
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError } from '../../api/client';
import type { Conversation } from '../../api/types';
import { Dialog } from '../../components/Dialog';
import { Field, FormError, fieldError } from '../../components/Field';
import { StatusBadge } from '../../components/Badges';
import { ChannelIcon } from '../../components/ChannelIcon';
import { toast } from '../../components/Toasts';
import { t } from '../../lib/i18n';
import { customerConversations } from '../customer/customerConversations';
import { allRows } from '../inbox/inboxStore';

export function MergeDialog({ conv, onClose, onDone }: { conv: Conversation; onClose: () => void; onDone: (c: Conversation) => void }) {
    const [others, setOthers] = useState<Conversation[] | null>(null);
    const [pick, setPick] = useState('');
    const [manual, setManual] = useState('');
    const [busy, setBusy] = useState(false);
    const [err, setErr] = useState<unknown>(null);

    useEffect(() => {
        customerConversations(conv).then((list) => setOthers(list.filter((c) => c.status !== 'closed')), () => setOthers([]));
    }, [conv.id]);

    const resolveId = (): number | null => {
        if (pick) return Number(pick);
        const v = manual.trim().toUpperCase();
        if (!v) return null;
        const known = [...(others ?? []), ...allRows()].find((c) => c.number.toUpperCase() === v);
        if (known) return known.id;
        return /^\d+$/.test(v) ? Number(v) : null;
    };

    const submit = async () => {
        const other = resolveId();
        if (!other) {
            setErr(new ApiError(422, 'merge_pick', t('merge.pick_one'), 'other_id'));
            return;
        }
        setBusy(true);
        setErr(null);
        try {
            const c = await api.post<Conversation>(`/api/v1/conversations/${conv.id}/merge`, { other_id: other });
            toast(t('merge.done'));
            onDone(c);
        } catch (e) {
            setErr(e);
        } finally {
            setBusy(false);
        }
    };

    return (
        <Dialog id="merge-dialog" title={t('merge.title', { number: conv.number })} onClose={onClose} onSubmit={() => void submit()} submitLabel={t('action.merge')} busy={busy}>
            <p class="hint">{t('merge.explain')}</p>
            <fieldset class="merge-list">
                <legend>{t('merge.same_customer')}</legend>
                {others === null && <p>{t('state.loading')}</p>}
                {others?.length === 0 && <p class="empty">{t('merge.none')}</p>}
                {others?.map((c) => (
                    <label key={c.id} class="merge-option">
                        <input type="radio" name="merge-other" value={String(c.id)} checked={pick === String(c.id)} onChange={() => setPick(String(c.id))} />
                        <ChannelIcon channel={c.channel} size={14} />
                        <bdi dir="ltr">{c.number}</bdi>
                        <span dir="auto" class="merge-subject">
                            {c.subject}
                        </span>
                        <StatusBadge status={c.status} />
                    </label>
                ))}
            </fieldset>
            <Field label={t('merge.by_number')} id="merge-number" error={fieldError(err, 'other_id')}>
                <input
                    id="merge-number"
                    dir="ltr"
                    value={manual}
                    placeholder="SND-000123"
                    onInput={(e) => {
                        setManual(e.currentTarget.value);
                        setPick('');
                    }}
                />
            </Field>
            <FormError err={err} fields={['other_id']} />
        </Dialog>
    );
}
