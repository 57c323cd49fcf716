// filters.ts — what the inbox shows: a view (mine, unassigned, …), a status set and the filters
// (channel, service line, assignee, SLA state, search). Kept for the browser tab's life.
import type { Conversation, Status } from '../../api/types';
import { slaState } from '../../components/Badges';
import { Store } from '../../lib/store';
import { dueAt } from '../../components/Badges';

export type View = 'all' | 'mine' | 'unassigned' | 'breached' | 'escalated';
export const VIEWS: View[] = ['mine', 'unassigned', 'all', 'breached', 'escalated'];
export type StatusFilter = 'active' | Status;
export const STATUS_FILTERS: StatusFilter[] = ['active', 'open', 'pending', 'solved', 'closed'];

export interface Filters {
    view: View;
    status: StatusFilter;
    channel: string;
    serviceLine: string;
    assignee: string; // '' any | 'none' | user id
    sla: '' | 'breached' | 'at_risk' | 'on_track';
    q: string;
}

const KEY = 'sanad.inbox.filters';
const defaults: Filters = { view: 'all', status: 'active', channel: '', serviceLine: '', assignee: '', sla: '', q: '' };

function initial(): Filters {
    try {
        const raw = sessionStorage.getItem(KEY);
        if (raw) return { ...defaults, ...(JSON.parse(raw) as Partial<Filters>) };
    } catch {
        // ignore
    }
    return defaults;
}

export const filters = new Store<Filters>(initial());
filters.subscribe((f) => {
    try {
        sessionStorage.setItem(KEY, JSON.stringify(f));
    } catch {
        // ignore
    }
});

export function setFilter<K extends keyof Filters>(k: K, v: Filters[K]): void {
    filters.set({ ...filters.get(), [k]: v });
}

export function statusesOf(s: StatusFilter): Status[] {
    return s === 'active' ? ['open', 'pending'] : [s];
}

export function viewMatch(v: View, c: Conversation, me: number, now: number): boolean {
    switch (v) {
        case 'mine':
            return c.assignee_id === me;
        case 'unassigned':
            return c.assignee_id === null;
        case 'breached':
            return slaState(c, now) === 'breached';
        case 'escalated':
            return c.escalated;
        default:
            return true;
    }
}

export function filterMatch(f: Filters, c: Conversation, now: number): boolean {
    if (f.channel && c.channel !== f.channel) return false;
    if (f.serviceLine && c.service_line !== f.serviceLine) return false;
    if (f.assignee === 'none' && c.assignee_id !== null) return false;
    if (f.assignee && f.assignee !== 'none' && String(c.assignee_id) !== f.assignee) return false;
    if (f.sla && slaState(c, now) !== f.sla) return false;
    return true;
}

/* Soonest SLA due first (as the server sorts), then by id. */
export function byDue(a: Conversation, b: Conversation): number {
    const da = dueAt(a) ?? Number.MAX_SAFE_INTEGER;
    const db = dueAt(b) ?? Number.MAX_SAFE_INTEGER;
    return da - db || a.id - b.id;
}
