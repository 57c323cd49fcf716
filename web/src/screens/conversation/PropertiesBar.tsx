// PropertiesBar — status, priority, assignee, service line and tags of a conversation; each
// change is one PATCH, its error shown beside the control.
import { useEffect, useState } from 'preact/hooks';
import { api } from '../../api/client';
import { PRIORITIES, STATUSES, type Conversation, type SessionUser } from '../../api/types';
import { fieldError } from '../../components/Field';
import { toast, toastError } from '../../components/Toasts';
import { t, unitName } from '../../lib/i18n';
import { refdata, userName } from '../../lib/refdata';
import { useStore } from '../../lib/store';

interface Props {
    conv: Conversation;
    user: SessionUser;
    onChange: (c: Conversation) => void;
}

export function PropertiesBar({ conv, user, onChange }: Props) {
    const rd = useStore(refdata);
    const [err, setErr] = useState<unknown>(null);
    const [tags, setTags] = useState(conv.tags.join(', '));
    useEffect(() => setTags(conv.tags.join(', ')), [conv.tags.join(',')]);

    const patch = async (body: Record<string, unknown>) => {
        setErr(null);
        try {
            const c = await api.patch<Conversation>(`/api/v1/conversations/${conv.id}`, body);
            onChange(c);
            toast(t('conversation.saved'));
        } catch (e) {
            setErr(e);
            toastError(e);
        }
    };
    const saveTags = () => {
        const list = tags.split(/[,\u060C]/).map((s) => s.trim()).filter(Boolean);
        if (list.join(',') !== conv.tags.join(',')) void patch({ tags: list });
    };
    const agents = [...rd.users.values()].filter((u) => u.id !== user.id && u.roles.some((r) => r === 'agent' || r === 'supervisor' || r === 'admin'));
    const assigneeKnown = conv.assignee_id === null || conv.assignee_id === user.id || agents.some((u) => u.id === conv.assignee_id);

    return (
        <div class="props" role="group" aria-label={t('conversation.properties')}>
            <label>
                <span class="label-text">{t('filter.status')}</span>
                <select id="prop-status" value={conv.status} onChange={(e) => void patch({ status: e.currentTarget.value })} aria-invalid={!!fieldError(err, 'status')}>
                    {STATUSES.map((s) => (
                        <option key={s} value={s}>
                            {t(`status.${s}`)}
                        </option>
                    ))}
                </select>
                {fieldError(err, 'status') && <span class="field-error">{fieldError(err, 'status')}</span>}
            </label>
            <label>
                <span class="label-text">{t('conversation.priority')}</span>
                <select id="prop-priority" value={conv.priority} onChange={(e) => void patch({ priority: e.currentTarget.value })}>
                    {PRIORITIES.map((p) => (
                        <option key={p} value={p}>
                            {t(`priority.${p}`)}
                        </option>
                    ))}
                </select>
                {fieldError(err, 'priority') && <span class="field-error">{fieldError(err, 'priority')}</span>}
            </label>
            <label>
                <span class="label-text">{t('filter.assignee')}</span>
                <select id="prop-assignee" value={String(conv.assignee_id ?? 0)} onChange={(e) => void patch({ assignee_id: Number(e.currentTarget.value) })}>
                    <option value="0">{t('assignee.unassigned')}</option>
                    <option value={String(user.id)}>{t('assignee.me', { name: user.name })}</option>
                    {!assigneeKnown && <option value={String(conv.assignee_id)}>{userName(conv.assignee_id)}</option>}
                    {agents.map((u) => (
                        <option key={u.id} value={String(u.id)}>
                            {u.name}
                        </option>
                    ))}
                </select>
                {fieldError(err, 'assignee_id') && <span class="field-error">{fieldError(err, 'assignee_id')}</span>}
            </label>
            <label>
                <span class="label-text">{t('filter.service_line')}</span>
                <select id="prop-line" value={conv.service_line ?? ''} onChange={(e) => e.currentTarget.value && void patch({ service_line: e.currentTarget.value })}>
                    {!conv.service_line && <option value="">{t('service_line.none')}</option>}
                    {rd.serviceLines.map((s) => (
                        <option key={s.code} value={s.code}>
                            {unitName(s)}
                        </option>
                    ))}
                </select>
                {fieldError(err, 'service_line') && <span class="field-error">{fieldError(err, 'service_line')}</span>}
            </label>
            <label class="tags-field">
                <span class="label-text">{t('conversation.tags')}</span>
                <input
                    id="prop-tags"
                    dir="auto"
                    value={tags}
                    placeholder={t('conversation.tags_hint')}
                    onInput={(e) => setTags(e.currentTarget.value)}
                    onBlur={saveTags}
                    onKeyDown={(e) => {
                        if (e.key === 'Enter') {
                            e.preventDefault();
                            saveTags();
                        }
                    }}
                />
                {fieldError(err, 'tags') && <span class="field-error">{fieldError(err, 'tags')}</span>}
            </label>
        </div>
    );
}
