// stream.ts — live updates. A WebSocket at /api/v1/stream (authenticated by the session cookie)
// sends {"id","type","data","at"}; after a drop we reconnect with ?since=LAST_ID and the server
// replays what we missed, or sends {"type":"resync"} when that is too old (then every screen
// reloads its lists). While there is no socket — the server has no stream, the network is down —
// the app polls: every registered refresher runs every POLL_MS until the socket is back.
//
//   off ──start──> connecting ──open──> live ──close──> polling ──(backoff)──> connecting …
//                       └─────────close/error──────────────┘
import { Store } from '../lib/store';

export type LiveMode = 'off' | 'connecting' | 'live' | 'polling';

export interface LiveEvent {
    id?: number | string;
    type: string;
    data?: Record<string, unknown>;
    at?: string;
}

export const POLL_MS = 10_000;
const BACKOFF_MAX_MS = 30_000;

export const liveMode = new Store<LiveMode>('off');

const handlers = new Set<(ev: LiveEvent) => void>();
const refreshers = new Set<() => void | Promise<void>>();

let socket: WebSocket | null = null;
let lastId: string | null = null;
let backoff = 1000;
let reconnectTimer: number | undefined;
let pollTimer: number | undefined;
let running = false;
let refreshing = false;
let startedAt = 0;

/* Hear every live event (returns the unsubscribe function). */
export function onLiveEvent(fn: (ev: LiveEvent) => void): () => void {
    handlers.add(fn);
    return () => handlers.delete(fn);
}

/* Register a reload of some list: run while polling, and after a resync. */
export function onRefresh(fn: () => void | Promise<void>): () => void {
    refreshers.add(fn);
    return () => refreshers.delete(fn);
}

export async function refreshAll(): Promise<void> {
    if (refreshing) return;
    refreshing = true;
    try {
        await Promise.allSettled([...refreshers].map((fn) => fn()));
    } finally {
        refreshing = false;
    }
}

function startPolling(): void {
    if (pollTimer !== undefined) return;
    pollTimer = window.setInterval(() => {
        if (liveMode.get() !== 'live') void refreshAll();
    }, POLL_MS);
}

function stopPolling(): void {
    if (pollTimer !== undefined) window.clearInterval(pollTimer);
    pollTimer = undefined;
}

function url(): string {
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const since = lastId !== null ? `?since=${encodeURIComponent(lastId)}` : '';
    return `${proto}//${location.host}/api/v1/stream${since}`;
}

function dispatch(ev: LiveEvent): void {
    if (ev.id !== undefined && ev.id !== null) lastId = String(ev.id);
    if (ev.type === 'resync') {
        void refreshAll();
        return;
    }
    for (const h of [...handlers]) {
        try {
            h(ev);
        } catch (e) {
            console.error('live event handler', e);
        }
    }
}

function connect(): void {
    if (!running || socket) return;
    liveMode.set('connecting');
    let ws: WebSocket;
    try {
        ws = new WebSocket(url());
    } catch {
        scheduleReconnect();
        return;
    }
    socket = ws;
    let opened = false;
    ws.onopen = () => {
        opened = true;
        backoff = 1000;
        // With lastId the server replays what we missed. Without it, reload what may have
        // changed since the last poll — except right after start, when the screens are still
        // on their first load.
        const caughtUp = lastId !== null || Date.now() - startedAt < 5000;
        liveMode.set('live');
        stopPolling();
        if (!caughtUp) void refreshAll();
    };
    ws.onmessage = (m) => {
        if (typeof m.data !== 'string') return;
        try {
            dispatch(JSON.parse(m.data) as LiveEvent);
        } catch {
            // not JSON: ignore
        }
    };
    ws.onclose = () => {
        if (socket === ws) socket = null;
        if (!running) return;
        if (opened) void refreshAll();
        scheduleReconnect();
    };
    ws.onerror = () => {
        // onclose follows
    };
}

function scheduleReconnect(): void {
    liveMode.set('polling');
    startPolling();
    window.clearTimeout(reconnectTimer);
    reconnectTimer = window.setTimeout(connect, backoff);
    backoff = Math.min(backoff * 2, BACKOFF_MAX_MS);
}

function wake(): void {
    if (!running || socket) return;
    backoff = 1000;
    window.clearTimeout(reconnectTimer);
    connect();
}

/* Start after sign-in; polls until the socket opens. */
export function startLive(): void {
    if (running) return;
    running = true;
    startedAt = Date.now();
    lastId = null;
    backoff = 1000;
    startPolling();
    window.addEventListener('online', wake);
    document.addEventListener('visibilitychange', onVisible);
    connect();
}

function onVisible(): void {
    if (document.visibilityState === 'visible') wake();
}

/* Stop on sign-out or session loss. */
export function stopLive(): void {
    running = false;
    window.clearTimeout(reconnectTimer);
    stopPolling();
    window.removeEventListener('online', wake);
    document.removeEventListener('visibilitychange', onVisible);
    const ws = socket;
    socket = null;
    ws?.close(1000, 'bye');
    liveMode.set('off');
}
