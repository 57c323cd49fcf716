-- 007 documents: the documents a service requires and their electronic submission by citizens
-- (/documents: national ID + one-time code, upload, agent review with approved reason templates).

-- What a service line requires. allowed_types: comma-separated sniffed MIME types; max_bytes per
-- file. Both are filled from the configuration's defaults when the admin gives none.
CREATE TABLE document_types (
    id {{ID}},
    service_line_id BIGINT NOT NULL REFERENCES service_lines(id),
    name_ar TEXT NOT NULL,
    name_en TEXT NOT NULL DEFAULT '',
    mandatory INTEGER NOT NULL DEFAULT 1,
    allowed_types TEXT NOT NULL,
    max_bytes BIGINT NOT NULL,
    position INTEGER NOT NULL DEFAULT 0,
    active INTEGER NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX document_types_line ON document_types(service_line_id, position, id);

-- One one-time code: only its keyed hash is kept (HMAC with a key from the data directory), the
-- browser holds `handle` (random) to name it. Five wrong tries or ten minutes void it; a right
-- one marks it used (state: open | used | void).
CREATE TABLE document_otps (
    id {{ID}},
    handle TEXT NOT NULL UNIQUE,
    customer_id BIGINT NOT NULL REFERENCES customers(id),
    channel TEXT NOT NULL,
    destination TEXT NOT NULL,
    lang TEXT NOT NULL DEFAULT 'ar',
    code_hash TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    state TEXT NOT NULL DEFAULT 'open',
    expires_at BIGINT NOT NULL,
    used_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX document_otps_customer ON document_otps(customer_id, created_at);

INSERT INTO counters (name, value) VALUES ('document_submission', 0);

-- One submission of a service's documents: its reference number, the conversation it created or
-- joined, and where the citizen asked to be told about reviews (channel email | sms).
CREATE TABLE document_submissions (
    id {{ID}},
    reference TEXT NOT NULL UNIQUE,
    customer_id BIGINT NOT NULL REFERENCES customers(id),
    service_line_id BIGINT NOT NULL REFERENCES service_lines(id),
    conversation_id BIGINT NOT NULL REFERENCES conversations(id),
    notify_channel TEXT NOT NULL,
    notify_to TEXT NOT NULL,
    lang TEXT NOT NULL DEFAULT 'ar',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX document_submissions_customer ON document_submissions(customer_id, id);
CREATE INDEX document_submissions_conversation ON document_submissions(conversation_id);

-- One uploaded document. status: pending | accepted | rejected | replaced. A replacement is a new
-- row with replaces_id; the rejected one becomes 'replaced' and stays as history.
CREATE TABLE documents (
    id {{ID}},
    submission_id BIGINT NOT NULL REFERENCES document_submissions(id),
    document_type_id BIGINT NOT NULL REFERENCES document_types(id),
    attachment_id BIGINT NOT NULL REFERENCES attachments(id),
    status TEXT NOT NULL DEFAULT 'pending',
    reason_template TEXT NOT NULL DEFAULT '',
    reason_text TEXT NOT NULL DEFAULT '',
    note TEXT NOT NULL DEFAULT '',
    reviewed_by BIGINT REFERENCES users(id),
    reviewed_at BIGINT,
    replaces_id BIGINT REFERENCES documents(id),
    created_at BIGINT NOT NULL
);
CREATE INDEX documents_submission ON documents(submission_id, id);
