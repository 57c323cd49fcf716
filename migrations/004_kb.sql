-- 004 knowledge base: articles with versions and a review workflow, their publications (which
-- version is visible when), service line owners who approve, admin-managed search synonyms,
-- the search log with clicks and contact-form submissions (deflection), helpful votes, and the
-- dialect-neutral tables of the full-text index (src/search/search_index.h; the FTS5 table or
-- the tsvector table are created by the search code, since they differ per engine).

-- Who may approve and publish the articles of a service line (besides admins).
CREATE TABLE service_line_owners (
    service_line_id BIGINT NOT NULL REFERENCES service_lines(id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    PRIMARY KEY (service_line_id, user_id)
);
CREATE INDEX service_line_owners_user ON service_line_owners(user_id);

-- The working copy of an article: the latest version's fields and the workflow state of that
-- version (draft → in_review → approved → published; archived). What the public sees is not
-- here but in kb_publications.
CREATE TABLE kb_articles (
    id {{ID}},
    slug TEXT NOT NULL UNIQUE,
    lang TEXT NOT NULL,
    translation_group BIGINT,
    service_line_id BIGINT NOT NULL REFERENCES service_lines(id),
    status TEXT NOT NULL DEFAULT 'draft',
    version INTEGER NOT NULL DEFAULT 1,
    title TEXT NOT NULL,
    topic TEXT NOT NULL DEFAULT '',
    entity TEXT NOT NULL DEFAULT '',
    tags TEXT NOT NULL DEFAULT '[]',
    visibility TEXT NOT NULL DEFAULT 'public',
    created_by BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    approved_by BIGINT,
    approved_at BIGINT,
    helpful_yes BIGINT NOT NULL DEFAULT 0,
    helpful_no BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX kb_articles_line ON kb_articles(service_line_id, status);
CREATE INDEX kb_articles_group ON kb_articles(translation_group);

-- Every edit is a version; a version is never changed.
CREATE TABLE kb_article_versions (
    article_id BIGINT NOT NULL REFERENCES kb_articles(id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    topic TEXT NOT NULL DEFAULT '',
    entity TEXT NOT NULL DEFAULT '',
    tags TEXT NOT NULL DEFAULT '[]',
    visibility TEXT NOT NULL,
    author_id BIGINT,
    note TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    PRIMARY KEY (article_id, version)
);

-- Which version is visible when: [valid_from, valid_to). A scheduled publication is a row whose
-- valid_from is in the future; unpublishing at a set time is a valid_to. Visibility is a
-- function of time, so no job has to run at the scheduled moment. doc_id: its search document.
CREATE TABLE kb_publications (
    id {{ID}},
    article_id BIGINT NOT NULL REFERENCES kb_articles(id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    valid_from BIGINT NOT NULL,
    valid_to BIGINT,
    doc_id BIGINT,
    published_by BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX kb_publications_article ON kb_publications(article_id, valid_from);

-- Synonym groups (a JSON array of words or phrases), applied to queries.
CREATE TABLE kb_synonyms (
    id {{ID}},
    terms TEXT NOT NULL,
    created_by BIGINT,
    created_at BIGINT NOT NULL
);

-- One row per search or suggestion served; token is the search_id given to the client (rows are
-- written in batches, after the answer). query is the normalised text (no raw input is kept).
-- source: api, internal, suggest, help, contact_form, chat. session: an opaque key from the
-- contact form or chat that ties its suggestions, clicks and the final submission together.
CREATE TABLE kb_search_log (
    id {{ID}},
    token TEXT NOT NULL UNIQUE,
    at BIGINT NOT NULL,
    query TEXT NOT NULL,
    lang TEXT NOT NULL DEFAULT '',
    source TEXT NOT NULL,
    session TEXT,
    results INTEGER NOT NULL,
    user_id BIGINT,
    clicked_article_id BIGINT,
    clicked_at BIGINT,
    submitted INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX kb_search_log_at ON kb_search_log(at);
CREATE INDEX kb_search_log_session ON kb_search_log(session);

-- "Was this helpful?" votes. voter is a keyed hash of the voter's address, for rate limiting.
CREATE TABLE kb_feedback (
    id {{ID}},
    article_id BIGINT NOT NULL REFERENCES kb_articles(id) ON DELETE CASCADE,
    helpful INTEGER NOT NULL,
    comment TEXT NOT NULL DEFAULT '',
    voter TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX kb_feedback_voter ON kb_feedback(voter, article_id, at);
CREATE INDEX kb_feedback_article ON kb_feedback(article_id, at);

-- The full-text index, dialect-neutral part (src/search/search_index.c). search_docs is kept
-- narrow (filter attributes and lengths only) so that filtering thousands of matches stays in a
-- few cached pages; the texts live in search_doc_text, read only for the candidates ranked.
CREATE TABLE search_docs (
    id {{ID}},
    ref_id BIGINT NOT NULL,
    version INTEGER NOT NULL,
    lang TEXT NOT NULL,
    group_id BIGINT NOT NULL DEFAULT 0,
    is_public INTEGER NOT NULL,
    valid_from BIGINT NOT NULL,
    valid_to BIGINT,
    title_len INTEGER NOT NULL,
    body_len INTEGER NOT NULL
);
CREATE INDEX search_docs_ref ON search_docs(ref_id);

CREATE TABLE search_doc_text (
    id BIGINT PRIMARY KEY REFERENCES search_docs(id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    body_text TEXT NOT NULL,
    title_terms TEXT NOT NULL,
    body_terms TEXT NOT NULL
);

CREATE TABLE search_terms (
    term TEXT PRIMARY KEY,
    df BIGINT NOT NULL
);

CREATE TABLE search_stats (
    id INTEGER PRIMARY KEY,
    docs BIGINT NOT NULL,
    title_terms BIGINT NOT NULL,
    body_terms BIGINT NOT NULL
);
INSERT INTO search_stats (id, docs, title_terms, body_terms) VALUES (1, 0, 0, 0);
