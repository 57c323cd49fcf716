// router.ts — client-side routes below /app/ with the History API. The server answers every
// /app/… path without a file extension with index.html, so a reload keeps the route.
import { Store, useStore } from './store';

export const BASE = '/app';

export interface Route {
    path: string; // below BASE, starting with '/', e.g. /inbox/12
    query: URLSearchParams;
}

function current(): Route {
    let p = location.pathname;
    if (p.startsWith(BASE)) p = p.slice(BASE.length);
    if (!p.startsWith('/')) p = `/${p}`;
    return { path: p, query: new URLSearchParams(location.search) };
}

export const route = new Store<Route>(current());

window.addEventListener('popstate', () => route.set(current()));

export function navigate(to: string, { replace = false } = {}): void {
    const href = BASE + to;
    if (href === location.pathname + location.search) return;
    if (replace) history.replaceState(null, '', href);
    else history.pushState(null, '', href);
    route.set(current());
}

export function useRoute(): Route {
    return useStore(route);
}

/* Match '/inbox/:id' against a path; returns the params or null. */
export function match(pattern: string, path: string): Record<string, string> | null {
    const a = pattern.split('/').filter(Boolean);
    const b = path.split('/').filter(Boolean);
    if (a.length !== b.length) return null;
    const out: Record<string, string> = {};
    for (let i = 0; i < a.length; i++) {
        if (a[i].startsWith(':')) out[a[i].slice(1)] = decodeURIComponent(b[i]);
        else if (a[i] !== b[i]) return null;
    }
    return out;
}

/* onClick for <a href={BASE + to}>: navigate in-app unless a modifier asks for a new tab. */
export function linkClick(to: string) {
    return (e: MouseEvent) => {
        if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
        e.preventDefault();
        navigate(to);
    };
}
