// InboxRow — one conversation in the list: channel, customer, number, subject, status, SLA,
// service line, assignee. User text is isolated (<bdi>, dir=auto) so Arabic, English and
// numbers keep their order whatever the page direction.
import type { Conversation } from '../../api/types';
import { PriorityBadge, SlaBadge, StatusBadge } from '../../components/Badges';
import { ChannelIcon } from '../../components/ChannelIcon';
import { When } from '../../components/When';
import { t } from '../../lib/i18n';
import { serviceLineName, userName } from '../../lib/refdata';
import { BASE, linkClick } from '../../lib/router';

export const ROW_HEIGHT = 88;

export function InboxRow({ c, active, now }: { c: Conversation; active: boolean; now: number }) {
    const to = `/inbox/${c.id}`;
    return (
        <a href={BASE + to} onClick={linkClick(to)} class={`conv-row ${active ? 'active' : ''}`} aria-current={active ? 'true' : undefined} data-id={c.id} data-number={c.number}>
            <span class="row-line">
                <ChannelIcon channel={c.channel} />
                <bdi class="row-customer">{c.customer?.name || t('customer.unnamed')}</bdi>
                <bdi class="row-number" dir="ltr">
                    {c.number}
                </bdi>
                <span class="row-time">
                    <When iso={c.updated_at} mode="relative" />
                </span>
            </span>
            <span class="row-subject" dir="auto">
                {c.subject || t('conversation.no_subject')}
            </span>
            <span class="row-line row-meta">
                <StatusBadge status={c.status} />
                <PriorityBadge priority={c.priority} />
                <SlaBadge c={c} now={now} />
                {c.escalated && <span class="badge escalated">{t('conversation.escalated')}</span>}
                <span class="row-line-name">{serviceLineName(c.service_line)}</span>
                <span class="row-assignee">{c.assignee_id ? userName(c.assignee_id) : t('assignee.unassigned')}</span>
            </span>
        </a>
    );
}
