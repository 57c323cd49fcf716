// EscalateDialog — send the conversation to a back-office department with a note.
import { useState } from 'preact/hooks';
import { api } from '../../api/client';
import type { Conversation } from '../../api/types';
import { Dialog } from '../../components/Dialog';
import { Field, FormError, fieldError } from '../../components/Field';
import { toast } from '../../components/Toasts';
import { t, unitName } from '../../lib/i18n';
import { refdata } from '../../lib/refdata';
import { useStore } from '../../lib/store';

export function EscalateDialog({ conv, onClose, onDone }: { conv: Conversation; onClose: () => void; onDone: () => void }) {
    const rd = useStore(refdata);
    const [dept, setDept] = useState(rd.departments[0]?.code ?? '');
    const [note, setNote] = useState('');
    const [busy, setBusy] = useState(false);
    const [err, setErr] = useState<unknown>(null);
    const submit = async () => {
        setBusy(true);
        setErr(null);
        try {
            await api.post(`/api/v1/conversations/${conv.id}/escalations`, { department: dept, note });
            toast(t('escalate.done'));
            onDone();
        } catch (e) {
            setErr(e);
        } finally {
            setBusy(false);
        }
    };
    return (
        <Dialog id="escalate-dialog" title={t('escalate.title', { number: conv.number })} onClose={onClose} onSubmit={() => void submit()} submitLabel={t('action.escalate')} busy={busy}>
            <Field label={t('escalate.department')} id="esc-dept" error={fieldError(err, 'department')}>
                <select id="esc-dept" value={dept} onChange={(e) => setDept(e.currentTarget.value)} required>
                    {rd.departments.map((d) => (
                        <option key={d.code} value={d.code}>
                            {unitName(d)}
                        </option>
                    ))}
                </select>
            </Field>
            <Field label={t('escalate.note')} id="esc-note" error={fieldError(err, 'note')} hint={t('escalate.note_hint')}>
                <textarea id="esc-note" dir="auto" rows={4} value={note} onInput={(e) => setNote(e.currentTarget.value)} />
            </Field>
            <FormError err={err} fields={['department', 'note']} />
        </Dialog>
    );
}
