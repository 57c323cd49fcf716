// Escalations — the department's desk: the escalations they may see (department staff: only
// their departments'), each with the agent's note, the conversation, the replies so far, a reply
// box and resolve / reopen. Agents use it to follow what they escalated.
import { useEffect, useState } from 'preact/hooks';
import { api, getAll } from '../../api/client';
import type { Conversation, Escalation, SessionUser } from '../../api/types';
import { ChannelIcon } from '../../components/ChannelIcon';
import { FormError } from '../../components/Field';
import { toast, toastError } from '../../components/Toasts';
import { When } from '../../components/When';
import { useNow } from '../../lib/clock';
import { duration } from '../../lib/dates';
import { loadDraft, saveDraft } from '../../lib/drafts';
import { errorText } from '../../lib/errors';
import { t, useLang } from '../../lib/i18n';
import { departmentName, userName } from '../../lib/refdata';
import { BASE, linkClick, navigate } from '../../lib/router';
import { useShortcuts } from '../../lib/shortcuts';
import { isFront } from '../../lib/session';
import { onLiveEvent, onRefresh } from '../../live/stream';
import { Timeline } from '../conversation/Timeline';

type StatusFilter = 'open' | 'resolved' | '';

function useEscalations(status: StatusFilter) {
    const [items, setItems] = useState<Escalation[] | null>(null);
    const [err, setErr] = useState<unknown>(null);
    const load = async () => {
        try {
            setItems(await getAll<Escalation>('/api/v1/escalations', { status: status || undefined }, { max: 5000 }));
            setErr(null);
        } catch (e) {
            setErr(e);
        }
    };
    useEffect(() => {
        setItems(null);
        void load();
        const offRefresh = onRefresh(load);
        const offLive = onLiveEvent((ev) => {
            if (ev.type.startsWith('escalation.')) void load();
        });
        return () => {
            offRefresh();
            offLive();
        };
    }, [status]);
    return { items, err, reload: load };
}

function DueBadge({ e, now }: { e: Escalation; now: number }) {
    if (e.status !== 'open' || !e.due_at) return null;
    const due = Date.parse(e.due_at);
    const late = e.sla_breached || due <= now;
    return <span class={`badge ${late ? 'sla-breached' : due - now < 3_600_000 ? 'sla-at_risk' : 'sla-on_track'}`}>{late ? t('sla.overdue_by', { time: duration(now - due) }) : t('sla.due_in', { time: duration(due - now) })}</span>;
}

function Detail({ id, user, onChanged }: { id: number; user: SessionUser; onChanged: () => void }) {
    const [esc, setEsc] = useState<Escalation | null>(null);
    const [conv, setConv] = useState<Conversation | null>(null);
    const [reply, setReply] = useState(() => loadDraft(user.id, `esc.${id}`));
    const [busy, setBusy] = useState(false);
    const [err, setErr] = useState<unknown>(null);
    const load = async () => {
        try {
            const e = await api.get<Escalation>(`/api/v1/escalations/${id}`);
            setEsc(e);
            api.get<Conversation>(`/api/v1/conversations/${e.conversation_id}`).then(setConv, () => setConv(null));
        } catch (e) {
            setErr(e);
        }
    };
    useEffect(() => {
        void load();
        const offRefresh = onRefresh(load);
        const offLive = onLiveEvent((ev) => {
            if (Number(ev.data?.escalation_id) === id || (esc && Number(ev.data?.conversation_id) === esc.conversation_id)) void load();
        });
        return () => {
            offRefresh();
            offLive();
        };
    }, [id]);
    useEffect(() => {
        const timer = window.setTimeout(() => saveDraft(user.id, `esc.${id}`, reply), 300);
        return () => window.clearTimeout(timer);
    }, [reply]);

    const send = async () => {
        if (!reply.trim()) return;
        setBusy(true);
        setErr(null);
        try {
            setEsc(await api.post<Escalation>(`/api/v1/escalations/${id}/replies`, { body: reply }));
            setReply('');
            saveDraft(user.id, `esc.${id}`, '');
            toast(t('escalation.replied'));
            onChanged();
        } catch (e) {
            setErr(e);
        } finally {
            setBusy(false);
        }
    };
    const setStatus = async (status: 'open' | 'resolved') => {
        setBusy(true);
        try {
            setEsc(await api.patch<Escalation>(`/api/v1/escalations/${id}`, { status }));
            toast(status === 'resolved' ? t('escalation.resolved_done') : t('escalation.reopened_done'));
            onChanged();
        } catch (e) {
            toastError(e);
        } finally {
            setBusy(false);
        }
    };

    if (!esc) return <div class="empty detail-empty">{err ? errorText(err) : t('state.loading')}</div>;
    return (
        <article class="esc-detail" aria-labelledby="esc-title">
            <header class="conv-head">
                <div class="conv-title-row">
                    <h2 id="esc-title" class="conv-subject" dir="auto">
                        {esc.subject || t('conversation.no_subject')}
                    </h2>
                </div>
                <div class="conv-badges">
                    <bdi dir="ltr" class="conv-number">
                        {esc.conversation_number}
                    </bdi>
                    <span class={`badge esc-${esc.status}`}>{t(`escalation.status.${esc.status}`)}</span>
                    <span class="badge">{departmentName(esc.department)}</span>
                    {isFront(user) && (
                        <a href={`${BASE}/inbox/${esc.conversation_id}`} onClick={linkClick(`/inbox/${esc.conversation_id}`)}>
                            {t('escalation.open_conversation')}
                        </a>
                    )}
                </div>
                <p class="hint">
                    {t('escalation.raised_by', { name: userName(esc.created_by) })} · <When iso={esc.created_at} mode="full" />
                </p>
            </header>
            <div class="esc-scroll">
                <section class="esc-note" aria-label={t('escalation.note')}>
                    <h3>{t('escalation.note')}</h3>
                    <p dir="auto">{esc.note || '—'}</p>
                </section>
                {conv && (
                    <section class="esc-conv" aria-label={t('escalation.conversation')}>
                        <h3>
                            <ChannelIcon channel={conv.channel} /> {t('escalation.conversation')}
                        </h3>
                        <Timeline conv={conv} />
                    </section>
                )}
                <section class="esc-replies" aria-labelledby="esc-replies-title">
                    <h3 id="esc-replies-title">{t('escalation.replies')}</h3>
                    <ol class="reply-list" id="esc-replies">
                        {(esc.replies ?? []).map((r) => (
                            <li key={r.id} class="bubble bubble-dept">
                                <div class="bubble-head">
                                    <bdi class="bubble-who">{userName(r.author_id)}</bdi>
                                    <When iso={r.created_at} />
                                </div>
                                <div class="bubble-body" dir="auto">
                                    {r.body}
                                </div>
                            </li>
                        ))}
                        {!esc.replies?.length && <li class="hint">{t('escalation.no_replies')}</li>}
                    </ol>
                </section>
            </div>
            <form
                class="composer"
                onSubmit={(e) => {
                    e.preventDefault();
                    void send();
                }}
            >
                <label for="esc-reply" class="label-text">
                    {t('escalation.reply_label')}
                </label>
                <textarea id="esc-reply" dir="auto" rows={3} value={reply} onInput={(e) => setReply(e.currentTarget.value)} />
                <FormError err={err} />
                <div class="composer-actions">
                    {esc.status === 'open' ? (
                        <button type="button" class="btn" id="esc-resolve" disabled={busy} onClick={() => void setStatus('resolved')}>
                            {t('escalation.resolve')}
                        </button>
                    ) : (
                        <button type="button" class="btn" id="esc-reopen" disabled={busy} onClick={() => void setStatus('open')}>
                            {t('escalation.reopen')}
                        </button>
                    )}
                    <button type="submit" class="btn primary" id="esc-send" disabled={busy || !reply.trim()}>
                        {t('escalation.send')}
                    </button>
                </div>
            </form>
        </article>
    );
}

export function Escalations({ user, openId }: { user: SessionUser; openId: number | null }) {
    useLang();
    const [status, setStatus] = useState<StatusFilter>('open');
    const { items, err, reload } = useEscalations(status);
    const now = useNow();
    const list = items ?? [];
    const index = openId === null ? -1 : list.findIndex((e) => e.id === openId);
    useShortcuts({
        j: () => list.length && navigate(`/escalations/${list[Math.min(list.length - 1, index + 1)].id}`),
        k: () => list.length && navigate(`/escalations/${list[Math.max(0, index - 1)].id}`),
    });
    return (
        <main id="main" class="inbox-layout esc-layout">
            <section class="list-pane" aria-labelledby="esc-list-title">
                <div class="filters">
                    <label>
                        <span class="label-text">{t('filter.status')}</span>
                        <select id="esc-status" value={status} onChange={(e) => setStatus(e.currentTarget.value as StatusFilter)}>
                            <option value="open">{t('escalation.status.open')}</option>
                            <option value="resolved">{t('escalation.status.resolved')}</option>
                            <option value="">{t('filter.any')}</option>
                        </select>
                    </label>
                </div>
                <div class="list-head">
                    <h2 id="esc-list-title" class="list-count" data-count={list.length}>
                        {t('escalation.count', { count: list.length })}
                    </h2>
                </div>
                {err !== null && <p class="form-error">{errorText(err)}</p>}
                {items === null && <p class="hint">{t('state.loading')}</p>}
                {items?.length === 0 && <p class="empty">{t('escalation.empty')}</p>}
                <ul class="esc-list" aria-label={t('nav.escalations')}>
                    {list.map((e) => (
                        <li key={e.id}>
                            <a href={`${BASE}/escalations/${e.id}`} onClick={linkClick(`/escalations/${e.id}`)} class={`conv-row ${e.id === openId ? 'active' : ''}`} aria-current={e.id === openId ? 'true' : undefined} data-id={e.id}>
                                <span class="row-line">
                                    <bdi class="row-number" dir="ltr">
                                        {e.conversation_number}
                                    </bdi>
                                    <span class="badge">{departmentName(e.department)}</span>
                                    <span class="row-time">
                                        <When iso={e.created_at} mode="relative" />
                                    </span>
                                </span>
                                <span class="row-subject" dir="auto">
                                    {e.subject || e.note}
                                </span>
                                <span class="row-line row-meta">
                                    <span class={`badge esc-${e.status}`}>{t(`escalation.status.${e.status}`)}</span>
                                    <DueBadge e={e} now={now} />
                                </span>
                            </a>
                        </li>
                    ))}
                </ul>
            </section>
            <section class="detail-pane" aria-label={t('escalation.label')}>
                {openId !== null ? <Detail key={openId} id={openId} user={user} onChanged={() => void reload()} /> : <div class="empty detail-empty">{t('escalation.pick')}</div>}
            </section>
        </main>
    );
}
