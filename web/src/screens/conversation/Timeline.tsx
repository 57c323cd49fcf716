// Timeline — everything that happened to a conversation, in time order and grouped by Riyadh
// day (Gregorian and Hijri): contacts on each channel, the customer's messages, replies, internal
// notes, status changes, assignments, escalations and the departments' answers, merges.
import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import type { Conversation, TimelineEntry } from '../../api/types';
import { ChannelIcon } from '../../components/ChannelIcon';
import { DayHeading, When } from '../../components/When';
import { dayKey, toDate } from '../../lib/dates';
import { formatList, t, tOr } from '../../lib/i18n';
import { departmentName, serviceLineName, userName } from '../../lib/refdata';

function who(e: TimelineEntry): string {
    const id = (e.author_id ?? e.actor_id) as number | null | undefined;
    if (!id) return e.by === 'routing' ? t('timeline.routing') : t('timeline.system');
    return userName(id);
}

function Bubble({ e, side, title, children }: { e: TimelineEntry; side: 'in' | 'out' | 'note' | 'dept'; title: ComponentChildren; children?: ComponentChildren }) {
    return (
        <li class={`tl-item bubble bubble-${side}`} data-type={e.type} data-kind={e.kind ?? ''}>
            <div class="bubble-head">
                {e.channel && <ChannelIcon channel={e.channel} size={14} />}
                <span class="bubble-who">{title}</span>
                <When iso={e.at} mode="time" />
            </div>
            <div class="bubble-body" dir="auto">
                {e.body}
            </div>
            <MailExtras e={e} />
            <Files e={e} />
            {children}
        </li>
    );
}

interface FileRef {
    id: number;
    filename?: string;
    size?: number;
    url?: string;
}

// Files that came with a message (email, contact form): staff-only downloads.
function Files({ e }: { e: TimelineEntry }) {
    const files = Array.isArray(e.attachments) ? (e.attachments as FileRef[]) : [];
    if (!files.length) return null;
    return (
        <ul class="bubble-files" aria-label={t('timeline.attachments')}>
            {files.map((f) => (
                <li key={f.id}>
                    <a href={f.url ?? `/api/v1/attachments/${f.id}`} download>
                        <bdi>{f.filename || t('timeline.attachment')}</bdi>
                    </a>
                    {typeof f.size === 'number' && <span class="file-size"> ({Math.max(1, Math.round(f.size / 1024))} KB)</span>}
                </li>
            ))}
        </ul>
    );
}

// An email's receipt notes (repairs, classification) and its sanitised HTML, shown on request in
// a sandboxed frame: no scripts, no same origin, and the app's policy still applies inside.
function MailExtras({ e }: { e: TimelineEntry }) {
    const flags = Array.isArray(e.flags) ? (e.flags as string[]) : [];
    const html = typeof e.body_html === 'string' && e.body_html ? e.body_html : null;
    if (!flags.length && !html) return null;
    return (
        <div class="bubble-mail">
            {flags.length > 0 && (
                <ul class="mail-flags" aria-label={t('timeline.flags')}>
                    {flags.map((f) => (
                        <li key={f} class="tag" data-flag={f}>
                            {tOr(`mailflag.${f}`, f)}
                        </li>
                    ))}
                </ul>
            )}
            {html && (
                <details class="mail-html">
                    <summary>{t('timeline.formatted')}</summary>
                    <iframe title={t('timeline.formatted_title')} sandbox="" referrerpolicy="no-referrer" srcdoc={html} />
                </details>
            )}
        </div>
    );
}

function SystemLine({ e, children }: { e: TimelineEntry; children: ComponentChildren }) {
    return (
        <li class="tl-item system" data-type={e.type}>
            <span class="system-text">{children}</span> <When iso={e.at} mode="time" />
        </li>
    );
}

function statusWord(s: unknown): string {
    return typeof s === 'string' ? t(`status.${s}`) : '';
}

function Entry({ e, conv }: { e: TimelineEntry; conv: Conversation }) {
    const actor = <bdi>{who(e)}</bdi>;
    switch (e.type) {
        case 'contact':
            return <SystemLine e={e}>{t('timeline.contact', { channel: t(`channel.${e.channel}`) })}</SystemLine>;
        case 'message':
            if (e.kind === 'inbound') return <Bubble e={e} side="in" title={<bdi>{conv.customer?.name || t('customer.unnamed')}</bdi>} />;
            return (
                <Bubble e={e} side="out" title={actor}>
                    <div class="bubble-foot">
                        {e.template && <span class="tag">{t('timeline.template', { code: e.template })}</span>}
                        {e.delivery && <span class={`delivery d-${e.delivery}`}>{tOr(`delivery.${e.delivery}`, e.delivery)}</span>}
                    </div>
                </Bubble>
            );
        case 'note':
            return <Bubble e={e} side="note" title={<>{t('timeline.note_by')} {actor}</>} />;
        case 'status_change':
            return <SystemLine e={e}>{t('timeline.status', { from: statusWord(e.from), to: statusWord(e.to) })} — {actor}</SystemLine>;
        case 'assignment':
            return <SystemLine e={e}>{e.to ? t('timeline.assigned', { to: userName(e.to as number) }) : t('timeline.unassigned')} — {actor}</SystemLine>;
        case 'priority':
            return <SystemLine e={e}>{t('timeline.priority', { to: t(`priority.${String(e.to)}`) })} — {actor}</SystemLine>;
        case 'service_line':
            return <SystemLine e={e}>{t('timeline.service_line', { to: serviceLineName(String(e.to)) })} — {actor}</SystemLine>;
        case 'tags':
            return <SystemLine e={e}>{t('timeline.tags', { to: Array.isArray(e.to) ? formatList(e.to as string[]) : '' })} — {actor}</SystemLine>;
        case 'merge':
            return <SystemLine e={e}>{t('timeline.merge', { number: String(e.number ?? '') })} — {actor}</SystemLine>;
        case 'merged_into':
            return <SystemLine e={e}>{t('timeline.merged_into', { number: String(e.number ?? '') })} — {actor}</SystemLine>;
        case 'escalation':
            return (
                <li class="tl-item bubble bubble-dept" data-type="escalation">
                    <div class="bubble-head">
                        <span class="bubble-who">
                            {t('timeline.escalated_to', { department: departmentName(e.department) })} — {actor}
                        </span>
                        <When iso={e.at} mode="time" />
                    </div>
                    {e.note && (
                        <div class="bubble-body" dir="auto">
                            {e.note}
                        </div>
                    )}
                    <div class="bubble-foot">
                        <span class={`badge esc-${e.status}`}>{t(`escalation.status.${e.status}`)}</span>
                    </div>
                </li>
            );
        case 'escalation_reply':
            return <Bubble e={e} side="dept" title={<>{t('timeline.department_answer')} — {actor}</>} />;
        case 'escalation_resolved':
            return <SystemLine e={e}>{t('timeline.escalation_resolved', { department: departmentName(e.department) })} — {actor}</SystemLine>;
        case 'escalation_reopened':
            return <SystemLine e={e}>{t('timeline.escalation_reopened', { department: departmentName(e.department) })} — {actor}</SystemLine>;
        case 'escalated':
            return null; // the escalation entry itself says it
        case 'trigger':
            return <SystemLine e={e}>{t('timeline.trigger', { name: String(e.name ?? '') })}</SystemLine>;
        default:
            return <SystemLine e={e}>{tOr(`timeline.kind.${e.type}`, e.type)}</SystemLine>;
    }
}

export function Timeline({ conv }: { conv: Conversation }) {
    const list = useRef<HTMLOListElement>(null);
    const entries = conv.timeline ?? [];
    useEffect(() => {
        const el = list.current?.parentElement;
        if (el) el.scrollTop = el.scrollHeight;
    }, [entries.length, conv.id]);
    const out: ComponentChildren[] = [];
    let day = '';
    for (const e of entries) {
        const d = toDate(e.at);
        const k = d ? dayKey(d) : '';
        if (k && k !== day) {
            day = k;
            out.push(
                <li class="tl-day" key={`day-${k}`}>
                    <DayHeading iso={e.at} />
                </li>,
            );
        }
        out.push(<Entry key={`${e.type}-${e.id}`} e={e} conv={conv} />);
    }
    return (
        <div class="timeline" tabIndex={0} aria-label={t('timeline.label')}>
            <ol ref={list} id="timeline">
                {out}
            </ol>
        </div>
    );
}
