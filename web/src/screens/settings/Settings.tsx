// Settings — the admin screens. Each section is shown to the roles that may use it, and only
// when its API route answers (a route not built yet answers 404 and its screen stays hidden).
import { useEffect, useState } from 'preact/hooks';
import { routeAvailable } from '../../api/client';
import type { Role, SessionUser } from '../../api/types';
import { t, useLang } from '../../lib/i18n';
import { BASE, linkClick, navigate } from '../../lib/router';
import { hasRole } from '../../lib/session';
import { CalendarSettings } from './CalendarSettings';
import { OrgUnitsSettings } from './OrgUnitsSettings';
import { QueuesSettings } from './QueuesSettings';
import { SlaSettings } from './SlaSettings';
import { TemplatesSettings } from './TemplatesSettings';
import { TriggersSettings } from './TriggersSettings';
import { UsersSettings } from './UsersSettings';
import { WebhooksSettings } from './WebhooksSettings';

interface Section {
    key: string;
    probe: string;
    roles: Role[];
}

export const SECTIONS: Section[] = [
    { key: 'users', probe: '/api/v1/users?limit=1', roles: ['admin'] },
    { key: 'service-lines', probe: '/api/v1/service-lines', roles: ['admin'] },
    { key: 'departments', probe: '/api/v1/departments', roles: ['admin'] },
    { key: 'queues', probe: '/api/v1/queues', roles: ['admin'] },
    { key: 'calendar', probe: '/api/v1/calendars/default', roles: ['admin'] },
    { key: 'sla-policies', probe: '/api/v1/sla-policies', roles: ['admin'] },
    { key: 'templates', probe: '/api/v1/templates', roles: ['admin', 'supervisor', 'service_owner'] },
    { key: 'triggers', probe: '/api/v1/triggers', roles: ['admin'] },
    { key: 'webhooks', probe: '/api/v1/webhooks', roles: ['admin'] },
];

function Body({ section, user }: { section: string; user: SessionUser }) {
    switch (section) {
        case 'users':
            return <UsersSettings />;
        case 'service-lines':
            return <OrgUnitsSettings kind="service-lines" />;
        case 'departments':
            return <OrgUnitsSettings kind="departments" />;
        case 'queues':
            return <QueuesSettings />;
        case 'calendar':
            return <CalendarSettings />;
        case 'sla-policies':
            return <SlaSettings />;
        case 'templates':
            return <TemplatesSettings user={user} />;
        case 'triggers':
            return <TriggersSettings />;
        case 'webhooks':
            return <WebhooksSettings />;
        default:
            return null;
    }
}

export function Settings({ user, section }: { user: SessionUser; section: string | null }) {
    useLang();
    const [shown, setShown] = useState<string[] | null>(null);
    useEffect(() => {
        const allowed = SECTIONS.filter((s) => hasRole(user, ...s.roles));
        Promise.all(allowed.map((s) => routeAvailable(s.probe).catch(() => true))).then((ok) => setShown(allowed.filter((_, i) => ok[i]).map((s) => s.key)));
    }, [user.id]);
    useEffect(() => {
        if (shown && shown.length && (!section || !shown.includes(section))) navigate(`/settings/${shown[0]}`, { replace: true });
    }, [shown, section]);
    return (
        <main id="main" class="settings-layout">
            <nav class="settings-nav" aria-label={t('nav.settings')}>
                <h1 class="pane-title">{t('nav.settings')}</h1>
                <ul>
                    {(shown ?? []).map((k) => (
                        <li key={k}>
                            <a href={`${BASE}/settings/${k}`} onClick={linkClick(`/settings/${k}`)} aria-current={k === section ? 'page' : undefined} data-section={k}>
                                {t(`settings.${k}`)}
                            </a>
                        </li>
                    ))}
                </ul>
                {shown?.length === 0 && <p class="hint">{t('settings.nothing')}</p>}
            </nav>
            <section class="settings-body" aria-labelledby="settings-title">
                {shown === null && <p class="hint">{t('state.loading')}</p>}
                {section && shown?.includes(section) && <Body key={section} section={section} user={user} />}
            </section>
        </main>
    );
}
