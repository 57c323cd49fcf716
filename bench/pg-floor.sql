-- bench/pg-floor: one new customer's contact, the statements src/domain writes for it on
-- PostgreSQL (customer.c, conversation.c), with :p a unique phone number. The ids sanad reads
-- back and binds into the next statement are chained here with currval(), so the statements
-- can be pipelined.
SELECT COALESCE(c.merged_into, c.id), CASE WHEN c.merged_into IS NOT NULL THEN -1 WHEN c.name = '' THEN 1 ELSE 0 END FROM customer_identities i JOIN customers c ON c.id = i.customer_id WHERE i.kind = 'phone' AND i.value = '+9665' || :p;
INSERT INTO customers (name, search_text, created_at, updated_at) VALUES ('مواطن ' || :p, 'مواطن ' || :p, 1795724488173, 1795724488173) RETURNING id;
INSERT INTO customer_identities (customer_id, kind, value, created_at) VALUES (currval('customers_id_seq'), 'phone', '+9665' || :p, 1795724488173);
SELECT nextval('conversation_number');
INSERT INTO conversations (number, customer_id, channel, service_line_id, subject, search_text, created_at, updated_at, first_response_due_at, resolution_due_at, contacts_count, status, solved_at, closed_at, pending_since, first_response_at) VALUES ('SND-' || currval('conversation_number'), currval('customers_id_seq'), 'phone', 1, 'استفسار عن صرف العوائد', 'استفسار عن صرف العوائد متى موعد صرف العوائد السنوية لهذا العام؟', 1795724488173, 1795724488173, 1795759200000, 1795885200000, 1, 'open', NULL, NULL, NULL, NULL) RETURNING id;
INSERT INTO contacts (conversation_id, customer_id, channel, service_line_id, received_at, created_at, external_id) VALUES (currval('conversations_id_seq'), currval('customers_id_seq'), 'phone', 1, 1795724488173, 1795724488173, NULL) RETURNING id;
INSERT INTO messages (conversation_id, contact_id, kind, channel, author_id, body, template_code, delivery, meta, created_at) VALUES (currval('conversations_id_seq'), currval('contacts_id_seq'), 'inbound', 'phone', NULL, 'متى موعد صرف العوائد السنوية لهذا العام؟', NULL, 'received', '{}', 1795724488173) RETURNING id;
