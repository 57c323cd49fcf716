-- 005 mail: the email channel (mailboxes, the inbound mail log, every Message-ID Sanad knows,
-- outbound deliveries) and the attachment store every channel shares (content-addressed files
-- under the data directory; the rows here are their metadata).

-- One mailbox per service line (or several). The IMAP password is secretbox-encrypted with a key
-- from the data directory (src/core/keyring.h) and never leaves the server.
CREATE TABLE mailboxes (
    id {{ID}},
    name TEXT NOT NULL UNIQUE,
    address TEXT NOT NULL UNIQUE,
    service_line_id BIGINT REFERENCES service_lines(id),
    imap_url TEXT NOT NULL DEFAULT '',
    username TEXT NOT NULL DEFAULT '',
    password_enc TEXT NOT NULL DEFAULT '',
    smtp_url TEXT NOT NULL DEFAULT '',
    enabled INTEGER NOT NULL DEFAULT 1,
    last_poll_at BIGINT,
    last_error TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- A stored file: sha256 names the bytes under DATA/files/ab/<sha256>; content_type is what
-- libmagic found, never what the sender declared; the file name is metadata only.
-- scan: skipped | clean | infected. message_id links it to the message it came with.
CREATE TABLE attachments (
    id {{ID}},
    sha256 TEXT NOT NULL,
    size BIGINT NOT NULL,
    content_type TEXT NOT NULL,
    declared_type TEXT NOT NULL DEFAULT '',
    filename TEXT NOT NULL DEFAULT '',
    content_id TEXT NOT NULL DEFAULT '',
    inline INTEGER NOT NULL DEFAULT 0,
    scan TEXT NOT NULL DEFAULT 'skipped',
    scan_detail TEXT NOT NULL DEFAULT '',
    message_id BIGINT REFERENCES messages(id),
    created_at BIGINT NOT NULL
);
CREATE INDEX attachments_message ON attachments(message_id);

-- Every received email, whatever became of it: kind message | auto_reply | bounce | bulk |
-- duplicate | unparseable, the conversation it went to (NULL when none). (mailbox, uidvalidity,
-- uid) makes an IMAP fetch idempotent; the raw message is kept under raw_sha256.
CREATE TABLE mail_inbound (
    id {{ID}},
    mailbox_id BIGINT REFERENCES mailboxes(id),
    uidvalidity BIGINT,
    uid BIGINT,
    raw_sha256 TEXT NOT NULL,
    raw_size BIGINT NOT NULL,
    message_id TEXT NOT NULL DEFAULT '',
    from_addr TEXT NOT NULL DEFAULT '',
    from_name TEXT NOT NULL DEFAULT '',
    subject TEXT NOT NULL DEFAULT '',
    kind TEXT NOT NULL,
    conversation_id BIGINT REFERENCES conversations(id),
    message_row BIGINT REFERENCES messages(id),
    flags TEXT NOT NULL DEFAULT '[]',
    detail TEXT NOT NULL DEFAULT '',
    received_at BIGINT NOT NULL,
    UNIQUE (mailbox_id, uidvalidity, uid)
);
CREATE INDEX mail_inbound_mailbox ON mail_inbound(mailbox_id, id);
CREATE INDEX mail_inbound_message_id ON mail_inbound(message_id);

-- Every Message-ID of a conversation, inbound and outbound, for threading by In-Reply-To and
-- References. direction: in | out.
CREATE TABLE mail_message_ids (
    message_id TEXT PRIMARY KEY,
    conversation_id BIGINT NOT NULL REFERENCES conversations(id),
    message_row BIGINT REFERENCES messages(id),
    direction TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX mail_message_ids_conversation ON mail_message_ids(conversation_id, created_at);

-- One outbound email per message row: the Message-ID it carries on every attempt (chosen once,
-- before the first), where it went and what became of it.
CREATE TABLE mail_outbound (
    message_row BIGINT PRIMARY KEY REFERENCES messages(id),
    mailbox_id BIGINT REFERENCES mailboxes(id),
    message_id TEXT NOT NULL DEFAULT '',
    to_addr TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL DEFAULT 'queued',
    error TEXT NOT NULL DEFAULT '',
    attempts INTEGER NOT NULL DEFAULT 0,
    sent_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
