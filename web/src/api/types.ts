// types.ts — the shapes the Sanad API returns (see GET /api/v1/openapi.json).

export type Role = 'admin' | 'supervisor' | 'agent' | 'department_staff' | 'service_owner' | 'qa_evaluator';
export type Channel = 'phone' | 'email' | 'x' | 'form' | 'chat';
export type Status = 'open' | 'pending' | 'solved' | 'closed';
export type Priority = 'low' | 'normal' | 'high' | 'urgent';
export type Availability = 'online' | 'away' | 'offline';

export const CHANNELS: Channel[] = ['phone', 'email', 'x', 'form', 'chat'];
export const STATUSES: Status[] = ['open', 'pending', 'solved', 'closed'];
export const PRIORITIES: Priority[] = ['low', 'normal', 'high', 'urgent'];
export const ROLES: Role[] = ['admin', 'supervisor', 'agent', 'department_staff', 'service_owner', 'qa_evaluator'];

export interface SessionUser {
    id: number;
    email: string;
    name: string;
    roles: Role[];
    locale?: 'ar' | 'en'; // remembered on the server per user (GET/PATCH /api/v1/me)
    availability?: 'online' | 'away' | 'offline';
}

export interface Session {
    user: SessionUser;
    csrf_token: string | null;
}

export interface User extends SessionUser {
    disabled: boolean;
    locale: 'ar' | 'en';
    departments: string[];
    skills: string[];
    capacity: number;
    availability: Availability;
    created_at: string;
}

export interface OrgUnit {
    id: number;
    code: string;
    name_ar: string;
    name_en: string;
}

export interface Customer {
    id: number;
    name: string;
    verified: boolean;
    national_id: string | null;
    cr_number: string | null;
    phones: string[];
    emails: string[];
    x_handle: string | null;
    masked: boolean;
}

export interface TimelineEntry {
    type: string; // contact | message | note | status_change | assignment | priority | service_line | tags | merge | merged_into | escalated | escalation | escalation_reply | escalation_resolved | escalation_reopened | …
    id: number;
    at: string;
    kind?: string;
    channel?: string;
    body?: string;
    author_id?: number | null;
    actor_id?: number | null;
    template?: string;
    delivery?: string;
    from?: string;
    to?: unknown;
    department?: string;
    status?: string;
    note?: string;
    escalation_id?: number;
    number?: string;
    [k: string]: unknown;
}

export interface Conversation {
    id: number;
    number: string;
    channel: Channel;
    subject: string;
    status: Status;
    priority: Priority;
    tags: string[];
    contacts_count: number;
    service_line: string | null;
    customer_id: number | null;
    customer?: Customer;
    assignee_id: number | null;
    created_at: string;
    updated_at: string;
    first_response_at: string | null;
    solved_at: string | null;
    first_response_due_at: string | null;
    resolution_due_at: string | null;
    closed_at: string | null;
    sla_breached: boolean;
    resolved_first_contact: boolean | null;
    escalated: boolean;
    merged_into: number | null;
    timeline?: TimelineEntry[];
}

export interface EscalationReply {
    id: number;
    author_id: number | null;
    body: string;
    created_at: string;
    [k: string]: unknown;
}

export interface Escalation {
    id: number;
    conversation_id: number;
    conversation_number: string;
    department: string;
    status: 'open' | 'resolved';
    note: string;
    subject?: string;
    created_by?: number | null;
    created_at: string;
    due_at: string | null;
    resolved_at: string | null;
    updated_at?: string;
    sla_breached: boolean;
    replies?: EscalationReply[];
}

export interface Template {
    code: string;
    title: string;
    bodies: { ar?: string; en?: string };
    variants: { x?: string; sms?: string; [k: string]: string | undefined };
    state: 'draft' | 'approved' | 'retired';
    uses: number;
    approved_at?: string | null;
}

export interface Queue {
    id: number;
    service_line: string;
    channel: string;
    policy: 'manual' | 'round_robin' | 'least_open';
}

export interface SlaPolicy {
    id: number;
    service_line: string | null;
    priority: string | null;
    first_response_minutes: number;
    resolution_minutes: number;
    calendar: string;
}

export interface Calendar {
    id: string;
    timezone: string;
    weekly: { day: number; start: string; end: string }[];
    holidays: { date: string; name: string }[];
}

export interface Page<T> {
    items: T[];
    next_cursor: string | null;
}
