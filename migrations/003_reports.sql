-- 003 reports: indexes that let the KPI summary (src/domain/report.c) answer every figure with
-- index-range counts, never a sort or a table lookup per row. Both dialects accept expression
-- and partial indexes written this way.

-- Contacts per channel and period: one COUNT(*) per (channel, month) is a seek plus a range walk.
CREATE INDEX contacts_channel_received ON contacts(channel, received_at);

-- Solved conversations by outcome. The key holds everything the rates need, so each count is a
-- seek on (escalated, reopened, first response on time) plus a range on solved_at. Open
-- conversations (solved_at NULL) and merged ones are left out, which keeps intake writes cheap.
-- The CASE must stay the same expression as SLA_MET in report.c, or the planners ignore it. The
-- trailing plain columns make the index covering: SQLite 3.40 and PostgreSQL only read a query
-- from the index alone when every column it names is stored there as itself.
CREATE INDEX conversations_report ON conversations(
    escalated, reopened,
    (CASE WHEN first_response_at <= first_response_due_at THEN 1 ELSE 0 END),
    solved_at, first_response_at, first_response_due_at, merged_into)
    WHERE merged_into IS NULL AND solved_at IS NOT NULL;
