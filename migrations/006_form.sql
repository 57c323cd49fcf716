-- 006 form: the contact-us form's tracking codes. A citizen who sends the form (or replies from
-- /track into a conversation that had to start anew) gets a random tracking code; only its salted
-- SHA-256 is kept, so the table cannot be read back into codes. A conversation may hold several
-- (one per submission that joined it): any of them, with the conversation's number, opens it.
-- lang is the page language of the submission (for the citizen's notifications).
CREATE TABLE form_tracking (
    id {{ID}},
    conversation_id BIGINT NOT NULL REFERENCES conversations(id),
    salt TEXT NOT NULL,
    code_hash TEXT NOT NULL,
    lang TEXT NOT NULL DEFAULT 'ar',
    created_at BIGINT NOT NULL
);
CREATE INDEX form_tracking_conversation ON form_tracking(conversation_id);
