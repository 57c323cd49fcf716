// Supervisor — the floor at a glance, computed from the list endpoints and kept live: totals,
// queues with waiting counts and the oldest wait, agents with availability and load, and the
// conversations breaching their SLA now.
import { useEffect, useMemo, useState } from 'preact/hooks';
import { api } from '../../api/client';
import type { Conversation, Page, Queue, SessionUser } from '../../api/types';
import { SlaBadge, dueAt, slaState } from '../../components/Badges';
import { ChannelIcon } from '../../components/ChannelIcon';
import { useNow } from '../../lib/clock';
import { duration } from '../../lib/dates';
import { formatNumber, t, useLang } from '../../lib/i18n';
import { refdata, serviceLineName, userName } from '../../lib/refdata';
import { BASE, linkClick } from '../../lib/router';
import { useStore } from '../../lib/store';
import { allRows, hold, inboxState } from '../inbox/inboxStore';

function Stat({ id, label, value, tone }: { id: string; label: string; value: number; tone?: string }) {
    return (
        <div class={`stat ${tone ?? ''}`} data-stat={id}>
            <span class="stat-value" data-value={value}>
                {formatNumber(value)}
            </span>
            <span class="stat-label">{label}</span>
        </div>
    );
}

function queueMatch(q: Queue, c: Conversation): boolean {
    return c.service_line === q.service_line && (!q.channel || c.channel === q.channel);
}

export function Supervisor({ user: _user }: { user: SessionUser }) {
    useLang();
    const st = useStore(inboxState);
    const rd = useStore(refdata);
    const now = useNow(15_000);
    const [queues, setQueues] = useState<Queue[]>([]);
    useEffect(() => {
        void hold(['open', 'pending']);
        api.get<Page<Queue>>('/api/v1/queues').then((r) => setQueues(r.items), () => setQueues([]));
    }, []);

    const m = useMemo(() => {
        const active = allRows().filter((c) => c.status === 'open' || c.status === 'pending');
        const waiting = active.filter((c) => c.status === 'open' && c.assignee_id === null);
        const breached = active.filter((c) => slaState(c, now) === 'breached').sort((a, b) => (dueAt(a) ?? 0) - (dueAt(b) ?? 0));
        const oldest = (list: Conversation[]) => (list.length ? Math.min(...list.map((c) => Date.parse(c.created_at))) : null);
        const queueRows = queues.map((q) => {
            const w = waiting.filter((c) => queueMatch(q, c));
            return { q, waiting: w.length, oldest: oldest(w) };
        });
        const unqueued = waiting.filter((c) => !queues.some((q) => queueMatch(q, c)));
        const load = new Map<number, number>();
        for (const c of active) if (c.assignee_id) load.set(c.assignee_id, (load.get(c.assignee_id) ?? 0) + 1);
        const agentIds = new Set<number>(load.keys());
        // agents we know of; users heard of only through availability events have no roles here
        for (const u of rd.users.values()) if (u.roles.includes('agent') || (!u.roles.length && u.availability)) agentIds.add(u.id);
        const agents = [...agentIds].map((id) => ({ id, user: rd.users.get(id), load: load.get(id) ?? 0 })).sort((a, b) => b.load - a.load || a.id - b.id);
        return {
            open: active.filter((c) => c.status === 'open').length,
            pending: active.filter((c) => c.status === 'pending').length,
            waiting: waiting.length,
            breached,
            escalated: active.filter((c) => c.escalated).length,
            queueRows,
            unqueued: { waiting: unqueued.length, oldest: oldest(unqueued) },
            agents,
        };
    }, [st.version, queues, rd, now]);

    return (
        <main id="main" class="page supervisor">
            <h1>{t('supervisor.title')}</h1>
            {st.loading && <p class="hint">{t('state.loading')}</p>}
            <section class="stats" aria-label={t('supervisor.totals')}>
                <Stat id="open" label={t('supervisor.open')} value={m.open} />
                <Stat id="pending" label={t('supervisor.pending')} value={m.pending} />
                <Stat id="waiting" label={t('supervisor.waiting')} value={m.waiting} tone={m.waiting ? 'warn' : ''} />
                <Stat id="breached" label={t('supervisor.breached')} value={m.breached.length} tone={m.breached.length ? 'bad' : ''} />
                <Stat id="escalated" label={t('supervisor.escalated')} value={m.escalated} />
            </section>
            <div class="sup-grid">
                <section aria-labelledby="sup-queues">
                    <h2 id="sup-queues">{t('supervisor.queues')}</h2>
                    <table class="table" id="queues-table">
                        <thead>
                            <tr>
                                <th scope="col">{t('filter.service_line')}</th>
                                <th scope="col">{t('filter.channel')}</th>
                                <th scope="col">{t('supervisor.waiting')}</th>
                                <th scope="col">{t('supervisor.oldest_wait')}</th>
                            </tr>
                        </thead>
                        <tbody>
                            {m.queueRows.map(({ q, waiting, oldest }) => (
                                <tr key={q.id}>
                                    <td>{serviceLineName(q.service_line)}</td>
                                    <td>{q.channel ? <ChannelIcon channel={q.channel} /> : t('supervisor.all_channels')}</td>
                                    <td class="num">{formatNumber(waiting)}</td>
                                    <td>{oldest ? duration(now - oldest) : '—'}</td>
                                </tr>
                            ))}
                            <tr class="muted">
                                <td colSpan={2}>{t('supervisor.no_queue')}</td>
                                <td class="num">{formatNumber(m.unqueued.waiting)}</td>
                                <td>{m.unqueued.oldest ? duration(now - m.unqueued.oldest) : '—'}</td>
                            </tr>
                        </tbody>
                    </table>
                </section>
                <section aria-labelledby="sup-agents">
                    <h2 id="sup-agents">{t('supervisor.agents')}</h2>
                    {!rd.usersListed && <p class="hint">{t('supervisor.agents_partial')}</p>}
                    <table class="table" id="agents-table">
                        <thead>
                            <tr>
                                <th scope="col">{t('supervisor.agent')}</th>
                                <th scope="col">{t('availability.label')}</th>
                                <th scope="col">{t('supervisor.load')}</th>
                            </tr>
                        </thead>
                        <tbody>
                            {m.agents.map((a) => (
                                <tr key={a.id}>
                                    <td>
                                        <bdi>{userName(a.id)}</bdi>
                                    </td>
                                    <td>{a.user?.availability ? <span class={`avail avail-${a.user.availability}`}>{t(`availability.${a.user.availability}`)}</span> : '—'}</td>
                                    <td class="num">{a.user?.capacity ? t('supervisor.load_of', { load: formatNumber(a.load), capacity: formatNumber(a.user.capacity) }) : formatNumber(a.load)}</td>
                                </tr>
                            ))}
                        </tbody>
                    </table>
                </section>
            </div>
            <section aria-labelledby="sup-breaches">
                <h2 id="sup-breaches">{t('supervisor.breaches_now')}</h2>
                {m.breached.length === 0 ? (
                    <p class="empty">{t('supervisor.no_breaches')}</p>
                ) : (
                    <table class="table" id="breaches-table">
                        <thead>
                            <tr>
                                <th scope="col">{t('conversation.number')}</th>
                                <th scope="col">{t('conversation.subject')}</th>
                                <th scope="col">{t('filter.assignee')}</th>
                                <th scope="col">{t('filter.sla')}</th>
                            </tr>
                        </thead>
                        <tbody>
                            {m.breached.slice(0, 200).map((c) => (
                                <tr key={c.id}>
                                    <td>
                                        <a href={`${BASE}/inbox/${c.id}`} onClick={linkClick(`/inbox/${c.id}`)}>
                                            <bdi dir="ltr">{c.number}</bdi>
                                        </a>
                                    </td>
                                    <td dir="auto">{c.subject}</td>
                                    <td>{c.assignee_id ? userName(c.assignee_id) : t('assignee.unassigned')}</td>
                                    <td>
                                        <SlaBadge c={c} now={now} />
                                    </td>
                                </tr>
                            ))}
                        </tbody>
                    </table>
                )}
            </section>
        </main>
    );
}
