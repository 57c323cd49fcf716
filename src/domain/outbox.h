/* outbox.h — hand-over of outbound messages to their channel's deliverer.
 *
 * The domain stores a reply or automatic reply with delivery 'queued' and, in the same
 * transaction, calls outbox_enqueue: for a channel with a deliverer (email) this writes the
 * delivery row and a durable job (jobs.h), so nothing accepted is lost and each message has
 * exactly one job. Channels without a deliverer yet leave the message queued.
 *
 *   queued ──job_email_deliver: 2xx──> sent
 *     │   └─(4xx, network: retried with backoff; last attempt)──> failed
 *     └─(5xx, no address, no SMTP)──> failed          sent ──(a bounce names it)──> failed */
#ifndef SANAD_OUTBOX_H
#define SANAD_OUTBOX_H

#include "domain.h"

/* Inside the caller's write transaction. channel: the message's channel name. */
int outbox_enqueue(store *db, int64_t message_id, const char *channel, int64_t now);
/* outbox_enqueue, then fix the recipient to `to_addr` (an address the citizen gave or verified)
 * instead of the customer's first address on file. */
int outbox_enqueue_to(store *db, int64_t message_id, const char *channel, const char *to_addr,
                      int64_t now);

#endif
