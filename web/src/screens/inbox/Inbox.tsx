// Inbox — the unified inbox: views with counts, filters, search, the virtualised list sorted by
// SLA due time, and the open conversation beside it. j/k move, / searches.
import { Fragment, type VNode } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { CHANNELS, type Conversation, type SessionUser } from '../../api/types';
import { VirtualList } from '../../components/VirtualList';
import { useNow } from '../../lib/clock';
import { formatNumber, t, unitName, useLang } from '../../lib/i18n';
import { refdata, userName } from '../../lib/refdata';
import { navigate } from '../../lib/router';
import { useShortcuts } from '../../lib/shortcuts';
import { useStore } from '../../lib/store';
import { ConversationView } from '../conversation/ConversationView';
import { allRows, hold, inboxState, search, searchRows } from './inboxStore';
import { InboxRow, ROW_HEIGHT } from './InboxRow';
import { STATUS_FILTERS, VIEWS, byDue, filterMatch, filters, setFilter, statusesOf, viewMatch, type Filters, type View } from './filters';

const SHORTCUTS: [string[], string][] = [
    [['j', 'k'], 'shortcuts.move'],
    [['r'], 'shortcuts.reply'],
    [['n'], 'shortcuts.note'],
    [['e'], 'shortcuts.escalate'],
    [['/'], 'shortcuts.search'],
];

function statusMatch(f: Filters, c: Conversation): boolean {
    return statusesOf(f.status).includes(c.status);
}

function useInboxRows(me: number) {
    const f = useStore(filters);
    const st = useStore(inboxState);
    const sr = useStore(searchRows);
    const now = useNow();
    return useMemo(() => {
        const base = (f.q.trim() ? sr.items : allRows()).filter((c) => statusMatch(f, c));
        const counts = {} as Record<View, number>;
        for (const v of VIEWS) counts[v] = 0;
        const shown: Conversation[] = [];
        for (const c of base) {
            for (const v of VIEWS) if (viewMatch(v, c, me, now)) counts[v]++;
            if (viewMatch(f.view, c, me, now) && filterMatch(f, c, now)) shown.push(c);
        }
        shown.sort(byDue);
        return { shown, counts, now };
    }, [f, st.version, sr, now, me]);
}

function ViewsNav({ counts }: { counts: Record<View, number> }) {
    const f = useStore(filters);
    return (
        <nav class="views" aria-label={t('inbox.views')}>
            <h2 class="pane-title">{t('inbox.title')}</h2>
            <ul>
                {VIEWS.map((v) => (
                    <li key={v}>
                        <button type="button" class={`view-btn ${f.view === v ? 'on' : ''}`} aria-pressed={f.view === v} onClick={() => setFilter('view', v)} data-view={v}>
                            <span>{t(`view.${v}`)}</span>
                            <span class="count" data-count={counts[v]}>
                                {formatNumber(counts[v])}
                            </span>
                        </button>
                    </li>
                ))}
            </ul>
        </nav>
    );
}

function FilterBar({ searchRef }: { searchRef: { current: HTMLInputElement | null } }) {
    const f = useStore(filters);
    const rd = useStore(refdata);
    const [q, setQ] = useState(f.q);
    useEffect(() => {
        const timer = window.setTimeout(() => {
            if (q !== filters.get().q) setFilter('q', q);
        }, 300);
        return () => window.clearTimeout(timer);
    }, [q]);
    const assignees = [...rd.users.values()].filter((u) => u.roles.some((r) => r === 'agent' || r === 'supervisor' || r === 'admin'));
    return (
        <div class="filters" role="search">
            <label class="search">
                <span class="visually-hidden">{t('inbox.search')}</span>
                <input ref={searchRef} id="inbox-search" type="search" dir="auto" placeholder={t('inbox.search_placeholder')} value={q} onInput={(e) => setQ(e.currentTarget.value)} aria-keyshortcuts="/" />
            </label>
            <div class="filter-row">
                <label>
                    <span class="label-text">{t('filter.status')}</span>
                    <select id="filter-status" value={f.status} onChange={(e) => setFilter('status', e.currentTarget.value as Filters['status'])}>
                        {STATUS_FILTERS.map((s) => (
                            <option key={s} value={s}>
                                {t(s === 'active' ? 'status.active' : `status.${s}`)}
                            </option>
                        ))}
                    </select>
                </label>
                <label>
                    <span class="label-text">{t('filter.channel')}</span>
                    <select id="filter-channel" value={f.channel} onChange={(e) => setFilter('channel', e.currentTarget.value)}>
                        <option value="">{t('filter.any')}</option>
                        {CHANNELS.map((c) => (
                            <option key={c} value={c}>
                                {t(`channel.${c}`)}
                            </option>
                        ))}
                    </select>
                </label>
                <label>
                    <span class="label-text">{t('filter.service_line')}</span>
                    <select id="filter-line" value={f.serviceLine} onChange={(e) => setFilter('serviceLine', e.currentTarget.value)}>
                        <option value="">{t('filter.any')}</option>
                        {rd.serviceLines.map((s) => (
                            <option key={s.code} value={s.code}>
                                {unitName(s)}
                            </option>
                        ))}
                    </select>
                </label>
                <label>
                    <span class="label-text">{t('filter.assignee')}</span>
                    <select id="filter-assignee" value={f.assignee} onChange={(e) => setFilter('assignee', e.currentTarget.value)}>
                        <option value="">{t('filter.any')}</option>
                        <option value="none">{t('assignee.unassigned')}</option>
                        {assignees.map((u) => (
                            <option key={u.id} value={String(u.id)}>
                                {userName(u.id)}
                            </option>
                        ))}
                    </select>
                </label>
                <label>
                    <span class="label-text">{t('filter.sla')}</span>
                    <select id="filter-sla" value={f.sla} onChange={(e) => setFilter('sla', e.currentTarget.value as Filters['sla'])}>
                        <option value="">{t('filter.any')}</option>
                        <option value="breached">{t('sla.state.breached')}</option>
                        <option value="at_risk">{t('sla.state.at_risk')}</option>
                        <option value="on_track">{t('sla.state.on_track')}</option>
                    </select>
                </label>
            </div>
        </div>
    );
}

export function Inbox({ user, openId }: { user: SessionUser; openId: number | null }) {
    const f = useStore(filters);
    const st = useStore(inboxState);
    const sr = useStore(searchRows);
    const searchRef = useRef<HTMLInputElement>(null);
    const { shown, counts, now } = useInboxRows(user.id);

    useEffect(() => {
        void hold(statusesOf(f.status));
    }, [f.status]);
    useEffect(() => {
        void search(f.q, f.status === 'active' ? undefined : f.status);
    }, [f.q, f.status]);

    // A row already rendered is handed back as the same element, so Preact skips it while the
    // list scrolls; a changed conversation is a new object and renders afresh.
    const lang = useLang();
    const rd = useStore(refdata);
    const rowCache = useMemo(() => new WeakMap<Conversation, { active: boolean; el: VNode }>(), [lang, now, rd]);
    const renderRow = (c: Conversation) => {
        const active = c.id === openId;
        const hit = rowCache.get(c);
        if (hit && hit.active === active) return hit.el;
        const el = <InboxRow c={c} active={active} now={now} />;
        rowCache.set(c, { active, el });
        return el;
    };
    const index = openId === null ? -1 : shown.findIndex((c) => c.id === openId);
    const move = (d: number) => {
        if (!shown.length) return;
        const next = index < 0 ? 0 : Math.min(shown.length - 1, Math.max(0, index + d));
        navigate(`/inbox/${shown[next].id}`);
    };
    useShortcuts({
        j: () => move(1),
        k: () => move(-1),
        '/': () => searchRef.current?.focus(),
    });

    const busy = st.loading || sr.loading;
    return (
        <main id="main" class={`inbox-layout ${openId !== null ? 'has-open' : ''}`}>
            <ViewsNav counts={counts} />
            <section class="list-pane" aria-labelledby="list-title">
                <FilterBar searchRef={searchRef} />
                <div class="list-head">
                    <h2 id="list-title" class="list-count" data-count={shown.length} aria-live="polite">
                        {t('inbox.count', { count: shown.length })}
                    </h2>
                    {busy && <span class="loading">{t('state.loading')}</span>}
                    {st.error && (
                        <span class="form-error" role="alert">
                            {t('inbox.load_failed')}
                        </span>
                    )}
                </div>
                {shown.length === 0 && !busy ? (
                    <p class="empty">{f.q ? t('inbox.no_results') : t('inbox.empty')}</p>
                ) : (
                    <VirtualList id="conv-list" items={shown} rowHeight={ROW_HEIGHT} activeIndex={index} label={t('inbox.list_label')} itemKey={(c) => c.id} render={renderRow} />
                )}
            </section>
            <section class="detail-pane" aria-label={t('conversation.label')}>
                {openId !== null ? (
                    <ConversationView key={openId} id={openId} user={user} />
                ) : (
                    <div class="empty detail-empty">
                        <p>{t('inbox.pick')}</p>
                        <dl class="keys" aria-label={t('shortcuts.title')}>
                            {SHORTCUTS.map(([keys, what]) => (
                                <Fragment key={what}>
                                    <dt>
                                        {keys.map((k) => (
                                            <kbd key={k}>{k}</kbd>
                                        ))}
                                    </dt>
                                    <dd>{t(what)}</dd>
                                </Fragment>
                            ))}
                        </dl>
                    </div>
                )}
            </section>
        </main>
    );
}
