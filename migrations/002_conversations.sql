-- 002 conversations: customers and their identities, conversations, contacts, messages, the
-- timeline, escalations to departments, routing, business hours and SLA, templates, triggers,
-- webhooks and the durable jobs queue.

ALTER TABLE users ADD COLUMN availability TEXT NOT NULL DEFAULT 'offline';
ALTER TABLE users ADD COLUMN capacity INTEGER NOT NULL DEFAULT 20;
ALTER TABLE departments ADD COLUMN sla_minutes INTEGER NOT NULL DEFAULT 1440;

CREATE TABLE user_departments (
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    department_id BIGINT NOT NULL REFERENCES departments(id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, department_id)
);

CREATE TABLE user_skills (
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    service_line_id BIGINT NOT NULL REFERENCES service_lines(id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, service_line_id)
);

-- One row per named counter (conversation numbers); taken under the row lock.
CREATE TABLE counters (
    name TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);
INSERT INTO counters (name, value) VALUES ('conversation', 0);

CREATE TABLE customers (
    id {{ID}},
    name TEXT NOT NULL DEFAULT '',
    verified INTEGER NOT NULL DEFAULT 0,
    merged_into BIGINT REFERENCES customers(id),
    search_text TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Every way to reach or recognise a customer; an identity belongs to exactly one customer.
-- kind: national_id | cr_number | phone | email | x_handle; value normalised.
CREATE TABLE customer_identities (
    id {{ID}},
    customer_id BIGINT NOT NULL REFERENCES customers(id),
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (kind, value)
);
CREATE INDEX customer_identities_customer ON customer_identities(customer_id);

CREATE TABLE conversations (
    id {{ID}},
    number TEXT NOT NULL UNIQUE,
    customer_id BIGINT NOT NULL REFERENCES customers(id),
    channel TEXT NOT NULL,
    service_line_id BIGINT REFERENCES service_lines(id),
    subject TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'open',
    priority TEXT NOT NULL DEFAULT 'normal',
    assignee_id BIGINT REFERENCES users(id),
    tags TEXT NOT NULL DEFAULT '[]',
    search_text TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    first_response_at BIGINT,
    solved_at BIGINT,
    closed_at BIGINT,
    first_response_due_at BIGINT,
    resolution_due_at BIGINT,
    pending_since BIGINT,
    paused_ms BIGINT NOT NULL DEFAULT 0,
    reopened INTEGER NOT NULL DEFAULT 0,
    escalated INTEGER NOT NULL DEFAULT 0,
    resolved_first_contact INTEGER,
    merged_into BIGINT REFERENCES conversations(id),
    contacts_count INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX conversations_open ON conversations(customer_id, service_line_id, status);
CREATE INDEX conversations_due ON conversations(status, resolution_due_at);
CREATE INDEX conversations_assignee ON conversations(assignee_id, status);
CREATE INDEX conversations_solved ON conversations(solved_at);

-- One inbound interaction: a call, an email, a form, a chat, a post. The center counts these.
CREATE TABLE contacts (
    id {{ID}},
    conversation_id BIGINT NOT NULL REFERENCES conversations(id),
    customer_id BIGINT NOT NULL REFERENCES customers(id),
    channel TEXT NOT NULL,
    service_line_id BIGINT REFERENCES service_lines(id),
    received_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    external_id TEXT UNIQUE
);
CREATE INDEX contacts_received ON contacts(received_at, channel);
CREATE INDEX contacts_conversation ON contacts(conversation_id);

-- kind: inbound | reply | note | auto_reply. delivery: received | queued | sent | failed | ''.
CREATE TABLE messages (
    id {{ID}},
    conversation_id BIGINT NOT NULL REFERENCES conversations(id),
    contact_id BIGINT REFERENCES contacts(id),
    kind TEXT NOT NULL,
    channel TEXT NOT NULL DEFAULT '',
    author_id BIGINT REFERENCES users(id),
    body TEXT NOT NULL,
    template_code TEXT,
    delivery TEXT NOT NULL DEFAULT '',
    meta TEXT NOT NULL DEFAULT '{}',
    created_at BIGINT NOT NULL
);
CREATE INDEX messages_conversation ON messages(conversation_id, id);

-- The timeline's other entries: status, assignment, priority, service line, tags, merge, SLA.
CREATE TABLE conversation_events (
    id {{ID}},
    conversation_id BIGINT NOT NULL REFERENCES conversations(id),
    at BIGINT NOT NULL,
    actor_id BIGINT REFERENCES users(id),
    kind TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX conversation_events_conversation ON conversation_events(conversation_id, id);

CREATE TABLE escalations (
    id {{ID}},
    conversation_id BIGINT NOT NULL REFERENCES conversations(id),
    department_id BIGINT NOT NULL REFERENCES departments(id),
    status TEXT NOT NULL DEFAULT 'open',
    note TEXT NOT NULL DEFAULT '',
    created_by BIGINT REFERENCES users(id),
    created_at BIGINT NOT NULL,
    due_at BIGINT,
    resolved_at BIGINT,
    updated_at BIGINT NOT NULL
);
CREATE INDEX escalations_department ON escalations(department_id, status);
CREATE INDEX escalations_conversation ON escalations(conversation_id);

CREATE TABLE escalation_replies (
    id {{ID}},
    escalation_id BIGINT NOT NULL REFERENCES escalations(id),
    author_id BIGINT REFERENCES users(id),
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX escalation_replies_escalation ON escalation_replies(escalation_id, id);

-- Business-hours calendars as their API JSON (src/core/bizhours.c parses them).
CREATE TABLE calendars (
    code TEXT PRIMARY KEY,
    definition TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
INSERT INTO calendars (code, definition, updated_at) VALUES ('default',
 '{"timezone":"Asia/Riyadh","weekly":[{"day":0,"start":"08:00","end":"20:00"},{"day":1,"start":"08:00","end":"20:00"},{"day":2,"start":"08:00","end":"20:00"},{"day":3,"start":"08:00","end":"20:00"},{"day":4,"start":"08:00","end":"20:00"},{"day":5,"start":"08:00","end":"20:00"},{"day":6,"start":"08:00","end":"20:00"}],"holidays":[]}',
 0);

CREATE TABLE sla_policies (
    id {{ID}},
    service_line_id BIGINT REFERENCES service_lines(id),
    priority TEXT,
    first_response_minutes INTEGER NOT NULL,
    resolution_minutes INTEGER NOT NULL,
    calendar_code TEXT NOT NULL DEFAULT 'default' REFERENCES calendars(code),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- A queue is a service line (× channel where configured) with an assignment policy:
-- manual | round_robin | least_open.
CREATE TABLE queues (
    id {{ID}},
    service_line_id BIGINT NOT NULL REFERENCES service_lines(id),
    channel TEXT NOT NULL DEFAULT '',
    policy TEXT NOT NULL DEFAULT 'manual',
    last_user_id BIGINT,
    UNIQUE (service_line_id, channel)
);

-- state: draft | approved | retired. bodies/variants are JSON objects of texts.
CREATE TABLE templates (
    id {{ID}},
    code TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    bodies TEXT NOT NULL,
    variants TEXT NOT NULL DEFAULT '{}',
    state TEXT NOT NULL DEFAULT 'draft',
    approved_by BIGINT REFERENCES users(id),
    approved_at BIGINT,
    uses BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE triggers (
    id {{ID}},
    name TEXT NOT NULL,
    position INTEGER NOT NULL DEFAULT 0,
    enabled INTEGER NOT NULL DEFAULT 1,
    definition TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE webhooks (
    id {{ID}},
    url TEXT NOT NULL,
    events TEXT NOT NULL,
    secret TEXT NOT NULL,
    enabled INTEGER NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL
);

-- The durable jobs queue: state queued | running | done | failed; leased by one worker at a time.
CREATE TABLE jobs (
    id {{ID}},
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'queued',
    run_at BIGINT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL DEFAULT 8,
    leased_until BIGINT,
    last_error TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX jobs_due ON jobs(state, run_at);

CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
INSERT INTO settings (key, value) VALUES ('reopen_days', '7');
INSERT INTO settings (key, value) VALUES ('close_after_days', '4');
