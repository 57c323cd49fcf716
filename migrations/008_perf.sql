-- 008 perf: conversation numbers from a sequence on PostgreSQL. The counters row is a lock every
-- new conversation takes until its transaction ends, so parallel group committers
-- (--group-commit-writers) queued on it one after the other; a sequence hands out numbers
-- without a lock. It continues where the counter stopped. SQLite has a single writer and keeps
-- the counters row (lines marked {{POSTGRES}} are for PostgreSQL only, see src/store/migrate.c).
{{POSTGRES}} CREATE SEQUENCE conversation_number;
{{POSTGRES}} SELECT setval('conversation_number', (SELECT value + 1 FROM counters WHERE name = 'conversation'), false);
