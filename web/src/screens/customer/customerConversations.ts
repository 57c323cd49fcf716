// customerConversations.ts — the other conversations of a conversation's customer. The list API
// has no customer filter, so we search by the customer's name (all statuses) and keep the rows
// whose customer_id matches.
import { getAll } from '../../api/client';
import type { Conversation } from '../../api/types';

export async function customerConversations(conv: Conversation): Promise<Conversation[]> {
    const name = conv.customer?.name?.trim();
    if (!name || !conv.customer_id) return [];
    const rows = await getAll<Conversation>('/api/v1/conversations', { q: name }, { max: 1000 });
    return rows.filter((c) => c.customer_id === conv.customer_id && c.id !== conv.id && !c.merged_into);
}
