// refdata.ts — the lists every screen labels things with: service lines, departments, approved
// templates, and the users we can name. Loaded once after sign-in, refreshed on demand.
import { api } from '../api/client';
import type { OrgUnit, Page, SessionUser, Template, User } from '../api/types';
import { t, unitName } from './i18n';
import { Store } from './store';

export interface RefData {
    serviceLines: OrgUnit[];
    departments: OrgUnit[];
    templates: Template[]; // approved only
    users: Map<number, Pick<User, 'id' | 'name' | 'roles'> & Partial<User>>;
    usersListed: boolean; // true when the staff directory answered
}

export const refdata = new Store<RefData>({
    serviceLines: [],
    departments: [],
    templates: [],
    users: new Map(),
    usersListed: false,
});

export async function loadRefData(me: SessionUser): Promise<void> {
    const [lines, depts, tpls, users] = await Promise.allSettled([
        api.get<Page<OrgUnit>>('/api/v1/service-lines'),
        api.get<Page<OrgUnit>>('/api/v1/departments'),
        api.get<Page<Template>>('/api/v1/templates?state=approved'),
        // The staff directory names everyone for every role (no personal data in it).
        api.get<Page<User>>('/api/v1/staff').then((p) => p.items),
    ]);
    const map = new Map(refdata.get().users);
    map.set(me.id, { id: me.id, name: me.name, roles: me.roles });
    if (users.status === 'fulfilled') for (const u of users.value) map.set(u.id, u);
    refdata.set({
        serviceLines: lines.status === 'fulfilled' ? lines.value.items : refdata.get().serviceLines,
        departments: depts.status === 'fulfilled' ? depts.value.items : refdata.get().departments,
        templates: tpls.status === 'fulfilled' ? tpls.value.items : refdata.get().templates,
        users: map,
        usersListed: users.status === 'fulfilled',
    });
}

export async function reloadTemplates(): Promise<void> {
    try {
        const r = await api.get<Page<Template>>('/api/v1/templates?state=approved');
        refdata.set({ ...refdata.get(), templates: r.items });
    } catch {
        // keep the old list
    }
}

/* Remember an availability heard on the stream for a user we may not have listed. */
export function noteAvailability(userId: number, availability: string): void {
    const r = refdata.get();
    const map = new Map(r.users);
    const u = map.get(userId);
    map.set(userId, { ...(u ?? { id: userId, name: '', roles: [] }), availability: availability as User['availability'] });
    refdata.set({ ...r, users: map });
}

export function userName(id: number | null | undefined): string {
    if (!id) return t('user.nobody');
    const u = refdata.get().users.get(id);
    return u?.name || t('user.numbered', { id });
}

export function serviceLineName(code: string | null | undefined): string {
    if (!code) return t('service_line.none');
    return unitName(refdata.get().serviceLines.find((s) => s.code === code), code);
}

export function departmentName(code: string | null | undefined): string {
    if (!code) return '';
    return unitName(refdata.get().departments.find((s) => s.code === code), code);
}

let wired = false;
/* Availability changes heard on the stream keep the agents table current. */
export function wireRefData(onLiveEvent: (fn: (ev: { type: string; data?: Record<string, unknown> }) => void) => unknown): void {
    if (wired) return;
    wired = true;
    onLiveEvent((ev) => {
        if (ev.type === 'agent.availability' && ev.data) noteAvailability(Number(ev.data.user_id), String(ev.data.availability));
    });
}
