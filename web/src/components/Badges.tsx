// Badges — status, priority and SLA state of a conversation, in words and colour (never colour
// alone).
import type { Conversation } from '../api/types';
import { duration } from '../lib/dates';
import { t } from '../lib/i18n';

export function StatusBadge({ status }: { status: string }) {
    return <span class={`badge status-${status}`}>{t(`status.${status}`)}</span>;
}

export function PriorityBadge({ priority }: { priority: string }) {
    if (priority === 'normal') return null;
    return <span class={`badge prio-${priority}`}>{t(`priority.${priority}`)}</span>;
}

export type SlaState = 'breached' | 'at_risk' | 'on_track' | 'none';

/* Due within half an hour: at risk. */
export const AT_RISK_MS = 30 * 60 * 1000;

/* The clock that matters now: the first reply until there is one, then the resolution. */
export function dueAt(c: Conversation): number | null {
    const iso = !c.first_response_at && c.first_response_due_at ? c.first_response_due_at : c.resolution_due_at;
    if (!iso) return null;
    const ms = Date.parse(iso);
    return Number.isNaN(ms) ? null : ms;
}

export function slaState(c: Conversation, now = Date.now()): SlaState {
    if (c.sla_breached) return 'breached';
    if (c.status === 'solved' || c.status === 'closed') return 'none';
    const due = dueAt(c);
    if (due === null) return 'none';
    if (due <= now) return 'breached';
    return due - now <= AT_RISK_MS ? 'at_risk' : 'on_track';
}

export function SlaBadge({ c, now = Date.now() }: { c: Conversation; now?: number }) {
    const state = slaState(c, now);
    if (state === 'none') return null;
    const due = dueAt(c);
    const text =
        due === null
            ? t('sla.breached')
            : due <= now
              ? t('sla.overdue_by', { time: duration(now - due) })
              : t('sla.due_in', { time: duration(due - now) });
    return (
        <span class={`badge sla-${state}`} title={t(`sla.state.${state}`)}>
            {text}
        </span>
    );
}
