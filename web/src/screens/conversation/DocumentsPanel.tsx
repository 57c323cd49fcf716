// DocumentsPanel — the documents a citizen submitted to this conversation through /documents:
// each with its type, file (download), status and history; pending ones are accepted, or rejected
// with an approved reason template (the citizen is told by email or SMS and may replace it).
// Department staff, on a conversation escalated to them, see and download them without review.
// Shown only when the timeline says documents were submitted, so opening other conversations
// writes no audit rows (every list of documents is an audited read).
import { useEffect, useState } from 'preact/hooks';
import { api } from '../../api/client';
import type { Conversation, Page } from '../../api/types';
import { toast, toastError } from '../../components/Toasts';
import { t, useLang } from '../../lib/i18n';
import { refdata } from '../../lib/refdata';
import { useStore } from '../../lib/store';

export interface SubmittedDocument {
    id: number;
    reference: string;
    type: { id: number; name_ar: string; name_en: string; mandatory: boolean };
    status: 'pending' | 'accepted' | 'rejected' | 'replaced';
    filename: string;
    content_type: string;
    size: number;
    url: string;
    reason_template: string;
    reason_text: string;
    note: string;
    replaces_id: number | null;
    created_at: string;
}

export function hasDocuments(conv: Conversation): boolean {
    return (conv.timeline ?? []).some((e) => e.type === 'documents_submitted');
}

function sizeText(n: number): string {
    return n >= 1048576 ? t('documents.size_mb', { n: (n / 1048576).toFixed(1) }) : t('documents.size_kb', { n: Math.max(1, Math.round(n / 1024)) });
}

function RejectForm({ doc, onDone }: { doc: SubmittedDocument; onDone: () => void }) {
    const rd = useStore(refdata);
    const [reason, setReason] = useState('');
    const [note, setNote] = useState('');
    const [busy, setBusy] = useState(false);
    const send = async (ev: Event) => {
        ev.preventDefault();
        setBusy(true);
        try {
            const body: Record<string, string> = { decision: 'reject', reason_template: reason };
            if (note.trim()) body.note = note.trim();
            await api.post(`/api/v1/documents/${doc.id}/review`, body);
            toast(t('documents.rejected_done'));
            onDone();
        } catch (e) {
            toastError(e);
        } finally {
            setBusy(false);
        }
    };
    return (
        <form class="doc-reject" onSubmit={send}>
            <label for={`reason-${doc.id}`}>{t('documents.reason')}</label>
            <select id={`reason-${doc.id}`} required value={reason} onChange={(e) => setReason((e.target as HTMLSelectElement).value)}>
                <option value="">{rd.templates.length ? t('documents.reason_pick') : t('documents.reason_none')}</option>
                {rd.templates.map((x) => (
                    <option key={x.code} value={x.code}>
                        {x.title}
                    </option>
                ))}
            </select>
            <label for={`note-${doc.id}`}>{t('documents.note')}</label>
            <input id={`note-${doc.id}`} type="text" value={note} maxLength={2000} onInput={(e) => setNote((e.target as HTMLInputElement).value)} />
            <button type="submit" class="btn danger small" disabled={busy || !reason}>
                {t('documents.confirm_reject')}
            </button>
        </form>
    );
}

function DocumentRow({ doc, canReview, onChange }: { doc: SubmittedDocument; canReview: boolean; onChange: () => void }) {
    const l = useLang();
    const [rejecting, setRejecting] = useState(false);
    const [busy, setBusy] = useState(false);
    const accept = async () => {
        setBusy(true);
        try {
            await api.post(`/api/v1/documents/${doc.id}/review`, { decision: 'accept' });
            toast(t('documents.accepted_done'));
            onChange();
        } catch (e) {
            toastError(e);
        } finally {
            setBusy(false);
        }
    };
    const name = (l === 'en' && doc.type.name_en) || doc.type.name_ar;
    return (
        <li class={`doc doc-${doc.status}`} data-document={doc.id} data-status={doc.status}>
            <div class="doc-head">
                <span class="doc-type">{name}</span>
                <span class={`badge doc-status-${doc.status}`}>{t(`documents.status.${doc.status}`)}</span>
            </div>
            <div class="doc-file">
                <a href={doc.url} download={doc.filename} class="doc-download">
                    <bdi>{doc.filename || t('documents.file')}</bdi>
                </a>{' '}
                <span class="muted">
                    {doc.content_type} · {sizeText(doc.size)} · <bdi dir="ltr">{doc.reference}</bdi>
                </span>
            </div>
            {doc.reason_text && (
                <p class="doc-reason" dir="auto">
                    {t('documents.reason_shown')} {doc.reason_text}
                </p>
            )}
            {canReview && doc.status === 'pending' && (
                <div class="doc-actions">
                    <button type="button" class="btn primary small doc-accept" onClick={accept} disabled={busy}>
                        {t('documents.accept')}
                    </button>
                    <button type="button" class="btn small doc-reject-open" onClick={() => setRejecting(!rejecting)} aria-expanded={rejecting}>
                        {t('documents.reject')}
                    </button>
                </div>
            )}
            {rejecting && doc.status === 'pending' && (
                <RejectForm
                    doc={doc}
                    onDone={() => {
                        setRejecting(false);
                        onChange();
                    }}
                />
            )}
        </li>
    );
}

export function DocumentsPanel({ conv, canReview, onChange }: { conv: Conversation; canReview: boolean; onChange: () => void }) {
    useLang();
    const [docs, setDocs] = useState<SubmittedDocument[] | null>(null);
    const events = (conv.timeline ?? []).filter((e) => e.type.startsWith('document')).length;
    const load = async () => {
        try {
            const r = await api.get<Page<SubmittedDocument>>(`/api/v1/conversations/${conv.id}/documents`);
            setDocs(r.items);
        } catch (e) {
            toastError(e);
        }
    };
    useEffect(() => {
        void load();
    }, [conv.id, events]);
    if (!docs) return null;
    const current = docs.filter((d) => d.status !== 'replaced');
    const history = docs.filter((d) => d.status === 'replaced');
    const changed = () => {
        void load();
        onChange();
    };
    return (
        <section class="documents-panel" aria-labelledby="documents-heading" id="documents-panel">
            <h3 id="documents-heading">{t('documents.heading')}</h3>
            <ul class="doc-list">
                {current.map((d) => (
                    <DocumentRow key={d.id} doc={d} canReview={canReview} onChange={changed} />
                ))}
            </ul>
            {history.length > 0 && (
                <details class="doc-history">
                    <summary>{t('documents.history', { count: history.length })}</summary>
                    <ul class="doc-list">
                        {history.map((d) => (
                            <DocumentRow key={d.id} doc={d} canReview={false} onChange={changed} />
                        ))}
                    </ul>
                </details>
            )}
        </section>
    );
}
