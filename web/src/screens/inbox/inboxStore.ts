// inboxStore.ts — the conversations the inbox, the supervisor view and the counts are computed
// from. Holds every conversation of the statuses asked for (open + pending by default; solved and
// closed when a filter wants them), loaded page by page (200 a page), kept current by the live
// stream (one GET per changed conversation, batched) or, without a stream, by reloading on each
// poll. Server-side search (?q=) results are kept apart.
import { api, ApiError, getAll } from '../../api/client';
import type { Conversation, Status } from '../../api/types';
import { onLiveEvent, onRefresh, type LiveEvent } from '../../live/stream';
import { Store } from '../../lib/store';

export interface InboxState {
    version: number; // bumped on every change of the rows
    loading: boolean;
    error: string | null;
}

export const inboxState = new Store<InboxState>({ version: 0, loading: false, error: null });

const rows = new Map<number, Conversation>();
const held = new Set<Status>();
let loading: Promise<void> | null = null;
let again = false;
let bumpTimer: number | undefined;

function bump(now = false): void {
    const go = () => {
        bumpTimer = undefined;
        inboxState.set({ ...inboxState.get(), version: inboxState.get().version + 1 });
    };
    if (now) {
        window.clearTimeout(bumpTimer);
        go();
    } else if (bumpTimer === undefined) {
        bumpTimer = window.setTimeout(go, 50);
    }
}

function strip(c: Conversation): Conversation {
    if (!c.timeline) return c;
    const { timeline: _t, ...rest } = c;
    return rest;
}

/* Put one conversation in (or take it out when its status is not held or it was merged away). */
export function upsert(c: Conversation): void {
    if (c.merged_into || !held.has(c.status)) rows.delete(c.id);
    else rows.set(c.id, strip(c));
    for (const r of searchRows.get().items) {
        if (r.id === c.id) {
            searchRows.set({ ...searchRows.get(), items: searchRows.get().items.map((x) => (x.id === c.id ? strip(c) : x)) });
            break;
        }
    }
    bump();
}

async function loadStatus(status: Status): Promise<void> {
    const seen = new Set<number>();
    await getAll<Conversation>('/api/v1/conversations', { status }, {
        onPage: (items) => {
            for (const c of items) {
                seen.add(c.id);
                rows.set(c.id, c);
            }
            bump();
        },
    });
    for (const [id, c] of rows) if (c.status === status && !seen.has(id)) rows.delete(id);
}

async function loadHeld(): Promise<void> {
    inboxState.set({ ...inboxState.get(), loading: true, error: null });
    try {
        do {
            again = false;
            for (const s of [...held]) await loadStatus(s);
            // a status dropped meanwhile leaves no rows behind
            for (const [id, c] of rows) if (!held.has(c.status)) rows.delete(id);
        } while (again);
        inboxState.set({ ...inboxState.get(), loading: false, error: null });
    } catch (e) {
        inboxState.set({ ...inboxState.get(), loading: false, error: e instanceof Error ? e.message : String(e) });
    } finally {
        bump(true);
    }
}

/* Reload everything held; a call during a load makes that load run once more. */
export function reload(): Promise<void> {
    if (loading) {
        again = true;
        return loading;
    }
    loading = loadHeld().finally(() => {
        loading = null;
    });
    return loading;
}

/* Make sure these statuses are held (loads what is missing). */
export function hold(statuses: Status[]): Promise<void> {
    let missing = false;
    for (const s of statuses) {
        if (!held.has(s)) {
            held.add(s);
            missing = true;
        }
    }
    if (!missing && inboxState.get().version > 0) return loading ?? Promise.resolve();
    return reload();
}

export function allRows(): Conversation[] {
    return [...rows.values()];
}

export function getRow(id: number): Conversation | undefined {
    return rows.get(id) ?? searchRows.get().items.find((c) => c.id === id);
}

/* Fetch one conversation again (after an event about it). */
export async function refreshOne(id: number): Promise<Conversation | null> {
    try {
        const c = await api.get<Conversation>(`/api/v1/conversations/${id}`);
        upsert(c);
        return c;
    } catch (e) {
        if (e instanceof ApiError && e.status === 404) {
            rows.delete(id);
            bump();
        }
        return null;
    }
}

// ---------------------------------------------------------------------------------------------
// Live: conversations named by events are fetched again, a few at a time, each once per burst.

const dirty = new Set<number>();
let flushTimer: number | undefined;
export const changed = new Store<{ id: number; seq: number }>({ id: 0, seq: 0 });

async function flushDirty(): Promise<void> {
    flushTimer = undefined;
    const ids = [...dirty];
    dirty.clear();
    for (let i = 0; i < ids.length; i += 6) {
        await Promise.all(ids.slice(i, i + 6).map(async (id) => {
            await refreshOne(id);
            changed.set({ id, seq: changed.get().seq + 1 });
        }));
    }
}

function onEvent(ev: LiveEvent): void {
    const id = Number(ev.data?.conversation_id);
    if (!Number.isFinite(id) || id <= 0) return;
    dirty.add(id);
    if (flushTimer === undefined) flushTimer = window.setTimeout(() => void flushDirty(), 150);
}

let wired = false;

/* Listen to the stream and to polls; once per page. */
export function wireInbox(): void {
    if (wired) return;
    wired = true;
    onLiveEvent(onEvent);
    // Polling a big inbox in full every 10 s costs too much: past 2,000 rows, every 6th poll.
    let polls = 0;
    onRefresh(() => {
        polls += 1;
        if (!held.size || (rows.size > 2000 && polls % 6 !== 0)) return undefined;
        return reload();
    });
}

export function resetInbox(): void {
    rows.clear();
    held.clear();
    searchRows.set({ q: '', items: [], loading: false });
    inboxState.set({ version: 0, loading: false, error: null });
}

// ---------------------------------------------------------------------------------------------
// Search: the server matches subject, messages and customer name (Arabic-normalised).

export const searchRows = new Store<{ q: string; items: Conversation[]; loading: boolean }>({ q: '', items: [], loading: false });
let searchAbort: AbortController | null = null;

export async function search(q: string, status?: Status): Promise<void> {
    searchAbort?.abort();
    if (!q.trim()) {
        searchRows.set({ q: '', items: [], loading: false });
        return;
    }
    const ctl = new AbortController();
    searchAbort = ctl;
    searchRows.set({ q, items: searchRows.get().q === q ? searchRows.get().items : [], loading: true });
    try {
        const items = await getAll<Conversation>('/api/v1/conversations', { q, status }, { max: 2000, signal: ctl.signal });
        if (searchAbort === ctl) searchRows.set({ q, items, loading: false });
    } catch (e) {
        if ((e as Error).name !== 'AbortError' && searchAbort === ctl) searchRows.set({ q, items: [], loading: false });
    }
}
