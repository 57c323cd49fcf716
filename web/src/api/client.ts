// client.ts — every call to the Sanad API goes through here: JSON in and out, the session's CSRF
// token on unsafe methods, the error envelope {"error":{code,message,field}} turned into ApiError,
// 401 reported once to the session (back to the sign-in screen, drafts kept), 429 with its
// Retry-After.
import type { Page } from './types';

export class ApiError extends Error {
    constructor(
        public status: number,
        public code: string,
        message: string,
        public field: string = '',
        public retryAfter = 0,
    ) {
        super(message);
    }
}

let csrfToken: string | null = null;
let onUnauthorized: (() => void) | null = null;

export function setCsrf(token: string | null): void {
    csrfToken = token;
}

/* Called when a signed-in request answers 401: the session ended (idle, expired, signed out). */
export function setUnauthorizedHandler(fn: (() => void) | null): void {
    onUnauthorized = fn;
}

const SAFE = new Set(['GET', 'HEAD']);

export interface RequestOptions {
    /* A 401 is the answer itself (sign-in), not a lost session. */
    anonymous?: boolean;
    signal?: AbortSignal;
}

export async function request<T>(method: string, path: string, body?: unknown, opts: RequestOptions = {}): Promise<T> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (!SAFE.has(method) && csrfToken) headers['X-CSRF-Token'] = csrfToken;
    let res: Response;
    try {
        res = await fetch(path, {
            method,
            headers,
            body: body === undefined ? undefined : JSON.stringify(body),
            credentials: 'same-origin',
            signal: opts.signal,
        });
    } catch (e) {
        if ((e as Error).name === 'AbortError') throw e;
        throw new ApiError(0, 'network', (e as Error).message);
    }
    if (res.status === 204) return undefined as T;
    const text = await res.text();
    let json: unknown = null;
    if (text) {
        try {
            json = JSON.parse(text);
        } catch {
            json = null;
        }
    }
    if (!res.ok) {
        const env = (json as { error?: { code?: string; message?: string; field?: string } } | null)?.error;
        const retry = Number(res.headers.get('Retry-After') || 0);
        const err = new ApiError(res.status, env?.code || `http_${res.status}`, env?.message || res.statusText,
            env?.field || '', Number.isFinite(retry) ? retry : 0);
        if (res.status === 401 && !opts.anonymous && onUnauthorized) onUnauthorized();
        throw err;
    }
    return json as T;
}

export const api = {
    get: <T>(path: string, opts?: RequestOptions) => request<T>('GET', path, undefined, opts),
    post: <T>(path: string, body?: unknown, opts?: RequestOptions) => request<T>('POST', path, body ?? undefined, opts),
    patch: <T>(path: string, body: unknown) => request<T>('PATCH', path, body),
    del: <T>(path: string) => request<T>('DELETE', path),
};

/* Query string from the defined, non-empty values. */
export function qs(params: Record<string, string | number | undefined | null>): string {
    const u = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) {
        if (v !== undefined && v !== null && v !== '') u.set(k, String(v));
    }
    const s = u.toString();
    return s ? `?${s}` : '';
}

/* Every page of a cursor-paginated list, up to `max` items; onPage sees each page as it comes. */
export async function getAll<T>(path: string, params: Record<string, string | number | undefined> = {},
    { max = 50_000, onPage, signal }: { max?: number; onPage?: (items: T[]) => void; signal?: AbortSignal } = {}): Promise<T[]> {
    const out: T[] = [];
    let cursor: string | null = null;
    do {
        const page: Page<T> = await api.get<Page<T>>(path + qs({ ...params, limit: 200, cursor: cursor ?? undefined }), { signal });
        out.push(...page.items);
        onPage?.(page.items);
        cursor = page.next_cursor;
    } while (cursor && out.length < max);
    return out;
}

/* True when a route exists for this user: false on 404 (not built yet) and 403 (not allowed). */
export async function routeAvailable(path: string): Promise<boolean> {
    try {
        await api.get(path);
        return true;
    } catch (e) {
        if (e instanceof ApiError && (e.status === 404 || e.status === 403 || e.status === 405)) return false;
        throw e;
    }
}
