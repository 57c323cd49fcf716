// app.tsx — the session gate and the route table of the workspace.
import { useEffect, useMemo } from 'preact/hooks';
import type { SessionUser } from './api/types';
import { Toasts } from './components/Toasts';
import { useLang } from './lib/i18n';
import { loadRefData, wireRefData } from './lib/refdata';
import { onLiveEvent } from './live/stream';
import { match, navigate, useRoute } from './lib/router';
import { hasRole, loadAvailability, session } from './lib/session';
import { useStore } from './lib/store';
import { Escalations } from './screens/escalations/Escalations';
import { Inbox } from './screens/inbox/Inbox';
import { resetInbox, wireInbox } from './screens/inbox/inboxStore';
import { Login } from './screens/login/Login';
import { Settings } from './screens/settings/Settings';
import { Header, navItems } from './screens/shell/Header';
import { Supervisor } from './screens/supervisor/Supervisor';
import { NotFound } from './screens/shell/NotFound';

function home(u: SessionUser): string {
    return navItems(u)[0]?.to ?? '/settings';
}

function Screen({ user }: { user: SessionUser }) {
    const r = useRoute();
    useEffect(() => {
        if (r.path === '/' || r.path === '') navigate(home(user), { replace: true });
    }, [r.path]);
    let m: Record<string, string> | null;
    if (r.path === '/inbox' && hasRole(user, 'admin', 'supervisor', 'agent', 'qa_evaluator')) return <Inbox user={user} openId={null} />;
    if ((m = match('/inbox/:id', r.path))) return <Inbox user={user} openId={Number(m.id)} />;
    if (r.path === '/escalations') return <Escalations user={user} openId={null} />;
    if ((m = match('/escalations/:id', r.path))) return <Escalations user={user} openId={Number(m.id)} />;
    if (r.path === '/supervisor' && hasRole(user, 'admin', 'supervisor')) return <Supervisor user={user} />;
    if (r.path === '/settings') return <Settings user={user} section={null} />;
    if ((m = match('/settings/:section', r.path))) return <Settings user={user} section={m.section} />;
    if (r.path === '/' || r.path === '') return null;
    return <NotFound />;
}

function Workspace({ user }: { user: SessionUser }) {
    // During render, before the screens below mount and start loading: a new user starts clean.
    useMemo(() => {
        resetInbox();
        wireInbox();
        wireRefData(onLiveEvent);
        loadAvailability(user.id, user.availability);
        void loadRefData(user);
    }, [user.id]);
    return (
        <div class="workspace">
            <Header user={user} />
            <Screen user={user} />
        </div>
    );
}

export function App() {
    useLang();
    const s = useStore(session);
    return (
        <>
            {s.kind === 'loading' && <div class="boot" aria-busy="true" />}
            {s.kind === 'anonymous' && <Login expired={s.expired} />}
            {s.kind === 'ready' && <Workspace user={s.user} />}
            <Toasts />
        </>
    );
}
