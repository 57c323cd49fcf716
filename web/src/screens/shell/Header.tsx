// Header — the app's top bar: where to go (by role), live/polling state, the agent's
// availability, language, who is signed in, sign out.
import type { Availability, SessionUser } from '../../api/types';
import { toast, toastError } from '../../components/Toasts';
import { t, useLang } from '../../lib/i18n';
import { noteAvailability } from '../../lib/refdata';
import { BASE, linkClick, useRoute } from '../../lib/router';
import { availability, canReadConversations, hasRole, isFront, setAvailability, signOut } from '../../lib/session';
import { useStore } from '../../lib/store';
import { liveMode } from '../../live/stream';
import { LangSwitch } from './LangSwitch';

export interface NavItem {
    to: string;
    key: string;
}

export function navItems(u: SessionUser): NavItem[] {
    const items: NavItem[] = [];
    if (hasRole(u, 'admin', 'supervisor', 'agent', 'qa_evaluator')) items.push({ to: '/inbox', key: 'nav.inbox' });
    if (hasRole(u, 'admin', 'supervisor', 'agent', 'department_staff')) items.push({ to: '/escalations', key: 'nav.escalations' });
    if (hasRole(u, 'admin', 'supervisor')) items.push({ to: '/supervisor', key: 'nav.supervisor' });
    if (hasRole(u, 'admin', 'supervisor', 'service_owner')) items.push({ to: '/settings', key: 'nav.settings' });
    return items;
}

function LiveState() {
    const mode = useStore(liveMode);
    return (
        <span class={`live-state live-${mode}`} role="status" title={t(`live.${mode}.hint`)}>
            <span class="dot" aria-hidden="true" />
            {t(`live.${mode}`)}
        </span>
    );
}

function AvailabilitySwitch({ user }: { user: SessionUser }) {
    const v = useStore(availability);
    const change = async (next: Availability) => {
        try {
            await setAvailability(user.id, next);
            noteAvailability(user.id, next);
            toast(t('availability.saved', { state: t(`availability.${next}`) }));
        } catch (e) {
            toastError(e);
        }
    };
    return (
        <label class="availability">
            <span class="label-text">{t('availability.label')}</span>
            <select id="availability" value={v ?? ''} class={`avail-${v ?? 'unknown'}`} onChange={(e) => void change(e.currentTarget.value as Availability)}>
                {!v && <option value="">{t('availability.unknown')}</option>}
                {(['online', 'away', 'offline'] as Availability[]).map((a) => (
                    <option value={a} key={a}>
                        {t(`availability.${a}`)}
                    </option>
                ))}
            </select>
        </label>
    );
}

export function Header({ user }: { user: SessionUser }) {
    useLang();
    const r = useRoute();
    return (
        <header class="topbar">
            <a class="skip-link" href="#main">
                {t('nav.skip')}
            </a>
            <a class="brand" href={`${BASE}/`} onClick={linkClick('/')}>
                <span class="brand-mark" aria-hidden="true">
                    س
                </span>
                {t('app.name')}
            </a>
            <nav aria-label={t('nav.label')}>
                <ul class="nav">
                    {navItems(user).map((n) => {
                        const on = r.path === n.to || r.path.startsWith(`${n.to}/`);
                        return (
                            <li key={n.to}>
                                <a href={BASE + n.to} onClick={linkClick(n.to)} aria-current={on ? 'page' : undefined}>
                                    {t(n.key)}
                                </a>
                            </li>
                        );
                    })}
                </ul>
            </nav>
            <div class="topbar-end">
                {canReadConversations(user) && <LiveState />}
                {isFront(user) && <AvailabilitySwitch user={user} />}
                <LangSwitch userId={user.id} />
                <span class="whoami">
                    <bdi>{user.name}</bdi>
                </span>
                <button type="button" class="btn ghost" onClick={() => void signOut()}>
                    {t('action.sign_out')}
                </button>
            </div>
        </header>
    );
}
