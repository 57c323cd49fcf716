// ConversationView — one conversation: header, properties (status, priority, assignee, service
// line, tags), escalate and merge, the timeline, the composer, and the customer beside it.
// Reloaded when the stream names it (or on each poll); r reply, n note, e escalate.
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError } from '../../api/client';
import type { Conversation, SessionUser } from '../../api/types';
import { SlaBadge, StatusBadge, PriorityBadge } from '../../components/Badges';
import { ChannelIcon } from '../../components/ChannelIcon';
import { errorText } from '../../lib/errors';
import { t, useLang } from '../../lib/i18n';
import { isFront } from '../../lib/session';
import { useShortcuts } from '../../lib/shortcuts';
import { useStore } from '../../lib/store';
import { onRefresh } from '../../live/stream';
import { CustomerPanel } from '../customer/CustomerPanel';
import { changed, upsert } from '../inbox/inboxStore';
import { Composer, type ComposerHandle } from './Composer';
import { DocumentsPanel, hasDocuments } from './DocumentsPanel';
import { EscalateDialog } from './EscalateDialog';
import { MergeDialog } from './MergeDialog';
import { PropertiesBar } from './PropertiesBar';
import { Timeline } from './Timeline';
import { useNow } from '../../lib/clock';

export function ConversationView({ id, user }: { id: number; user: SessionUser }) {
    useLang();
    const [conv, setConv] = useState<Conversation | null>(null);
    const [err, setErr] = useState<unknown>(null);
    const [dialog, setDialog] = useState<'escalate' | 'merge' | null>(null);
    const composer = useRef<ComposerHandle>(null);
    const ch = useStore(changed);
    const now = useNow();
    const front = isFront(user);

    const load = async () => {
        try {
            const c = await api.get<Conversation>(`/api/v1/conversations/${id}`);
            setConv(c);
            setErr(null);
            upsert(c);
        } catch (e) {
            setErr(e);
        }
    };
    useEffect(() => {
        void load();
        return onRefresh(load);
    }, [id]);
    useEffect(() => {
        if (ch.id === id) void load();
    }, [ch.seq]);

    useShortcuts({
        r: () => front && composer.current?.focus('reply'),
        n: () => front && composer.current?.focus('note'),
        e: () => front && conv && conv.status !== 'closed' && setDialog('escalate'),
    });

    if (err && !conv) {
        return (
            <div class="empty detail-empty" role="alert">
                {err instanceof ApiError && err.status === 404 ? t('conversation.not_found') : errorText(err)}
            </div>
        );
    }
    if (!conv) return <div class="empty detail-empty">{t('state.loading')}</div>;

    const changedConv = (c: Conversation) => {
        setConv(c);
        upsert(c);
    };
    return (
        <div class="conversation">
            <div class="conv-main">
                <header class="conv-head">
                    <div class="conv-title-row">
                        <ChannelIcon channel={conv.channel} size={22} />
                        <h2 class="conv-subject" dir="auto" id="conv-subject">
                            {conv.subject || t('conversation.no_subject')}
                        </h2>
                    </div>
                    <div class="conv-badges">
                        <bdi class="conv-number" dir="ltr">
                            {conv.number}
                        </bdi>
                        <StatusBadge status={conv.status} />
                        <PriorityBadge priority={conv.priority} />
                        <SlaBadge c={conv} now={now} />
                        {conv.merged_into && <span class="badge">{t('conversation.merged')}</span>}
                    </div>
                    {front && (
                        <div class="conv-actions">
                            <button type="button" class="btn" id="btn-escalate" onClick={() => setDialog('escalate')} disabled={conv.status === 'closed'} aria-keyshortcuts="e">
                                {t('action.escalate')}
                            </button>
                            <button type="button" class="btn" id="btn-merge" onClick={() => setDialog('merge')} disabled={conv.status === 'closed'}>
                                {t('action.merge')}
                            </button>
                        </div>
                    )}
                </header>
                {front && <PropertiesBar conv={conv} user={user} onChange={changedConv} />}
                {hasDocuments(conv) && <DocumentsPanel conv={conv} canReview={front} onChange={() => void load()} />}
                <Timeline conv={conv} />
                {front && conv.status !== 'closed' && !conv.merged_into && <Composer control={composer} conv={conv} user={user} onSent={changedConv} />}
            </div>
            <CustomerPanel conv={conv} canReveal={front} />
            {dialog === 'escalate' && (
                <EscalateDialog
                    conv={conv}
                    onClose={() => setDialog(null)}
                    onDone={() => {
                        setDialog(null);
                        void load();
                    }}
                />
            )}
            {dialog === 'merge' && (
                <MergeDialog
                    conv={conv}
                    onClose={() => setDialog(null)}
                    onDone={(c) => {
                        setDialog(null);
                        changedConv(c);
                    }}
                />
            )}
        </div>
    );
}
