// session.ts — who is signed in. Loaded from GET /api/v1/me at start; set by sign-in; cleared by
// sign-out; a 401 from any call marks it expired (the sign-in screen comes back, drafts stay in
// localStorage and the route is kept so the agent lands where they were).
import { api, ApiError, setCsrf, setUnauthorizedHandler } from '../api/client';
import type { Availability, Role, Session, SessionUser } from '../api/types';
import { loadLang } from './i18n';
import { Store } from './store';
import { startLive, stopLive } from '../live/stream';

export type SessionState =
    | { kind: 'loading' }
    | { kind: 'anonymous'; expired: boolean }
    | { kind: 'ready'; user: SessionUser };

export const session = new Store<SessionState>({ kind: 'loading' });

function become(s: Session): void {
    setCsrf(s.csrf_token);
    loadLang(s.user.id, s.user.locale);
    session.set({ kind: 'ready', user: s.user });
    // Roles without conversations (service owners) have no stream and nothing to keep live.
    if (canReadConversations(s.user)) startLive();
}

function lost(expired: boolean): void {
    setCsrf(null);
    stopLive();
    loadLang(null);
    session.set({ kind: 'anonymous', expired });
}

export async function loadSession(): Promise<void> {
    setUnauthorizedHandler(() => {
        if (session.get().kind === 'ready') lost(true);
    });
    try {
        become(await api.get<Session>('/api/v1/me', { anonymous: true }));
    } catch (e) {
        if (e instanceof ApiError && e.status === 401) lost(false);
        else {
            lost(false);
            console.error(e);
        }
    }
}

export async function signIn(email: string, password: string): Promise<void> {
    become(await api.post<Session>('/api/v1/auth/login', { email, password }, { anonymous: true }));
}

export async function signOut(): Promise<void> {
    try {
        await api.post('/api/v1/auth/logout');
    } catch {
        // the session may already be gone
    }
    lost(false);
}

export function currentUser(): SessionUser | null {
    const s = session.get();
    return s.kind === 'ready' ? s.user : null;
}

export function hasRole(u: SessionUser | null, ...roles: Role[]): boolean {
    return !!u && u.roles.some((r) => roles.includes(r));
}

/* Agents, supervisors and admins work conversations; department staff answer escalations. */
export function isFront(u: SessionUser | null): boolean {
    return hasRole(u, 'admin', 'supervisor', 'agent');
}

export function canReadConversations(u: SessionUser | null): boolean {
    return hasRole(u, 'admin', 'supervisor', 'agent', 'department_staff', 'qa_evaluator');
}

export function isLead(u: SessionUser | null): boolean {
    return hasRole(u, 'admin', 'supervisor');
}

/* The availability the header shows: the server's (GET /me), else the last one set here. */
export const availability = new Store<Availability | null>(null);

export function loadAvailability(userId: number, known?: Availability): void {
    if (known) {
        availability.set(known);
        return;
    }
    try {
        const v = localStorage.getItem(`sanad.availability.${userId}`);
        availability.set(v === 'online' || v === 'away' || v === 'offline' ? v : null);
    } catch {
        availability.set(null);
    }
}

export async function setAvailability(userId: number, v: Availability): Promise<void> {
    await api.patch('/api/v1/me', { availability: v });
    availability.set(v);
    try {
        localStorage.setItem(`sanad.availability.${userId}`, v);
    } catch {
        // ignore
    }
}
