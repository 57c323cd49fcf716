/* ring.c — unit tests of hub/ring: consecutive ids, eviction of the oldest, reset, and the
 * sharing of one encoded event (and its chunk) between the rings of several hub threads: the
 * last reference frees it (run under `make asan` for the leak and use-after-free checks). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "hub/ring.h"

#include <stdlib.h>
#include <string.h>

static const audience_tag no_tag = {0};

/* An event whose frame is packed into `ch` (a reference is taken for it). */
static ring_event *packed(ring_chunk *ch, int64_t id, const char *text)
{
    size_t n = strlen(text);
    uint8_t *frame = ch->data + ch->used;
    memcpy(frame, text, n);
    ch->used += n;
    __atomic_add_fetch(&ch->refs, 1, __ATOMIC_RELAXED);
    return ring_event_new(id, &no_tag, frame, n, ch);
}

static ring_event *owned(int64_t id, const char *text)
{
    uint8_t *frame = (uint8_t *)strdup(text);
    return ring_event_new(id, &no_tag, frame, strlen(text), NULL);
}

static void test_empty_ring_holds_nothing(void **state)
{
    ring r;
    assert_int_equal(ring_init(&r, 4, 100), 0);
    assert_true(r.last < r.first);
    assert_null(ring_get(&r, 99));
    assert_null(ring_get(&r, 100));
    ring_fini(&r);
}

static void test_push_get_and_evict_oldest(void **state)
{
    ring r;
    assert_int_equal(ring_init(&r, 4, 100), 0);
    for (int64_t id = 100; id < 106; id++)
        ring_push(&r, owned(id, "x"));
    assert_int_equal(r.first, 102);
    assert_int_equal(r.last, 105);
    assert_null(ring_get(&r, 101)); /* forgotten */
    for (int64_t id = 102; id <= 105; id++) {
        const ring_event *ev = ring_get(&r, id);
        assert_non_null(ev);
        assert_int_equal(ev->id, id);
    }
    assert_null(ring_get(&r, 106)); /* not yet */
    ring_fini(&r);
}

static void test_reset_forgets_and_moves_the_next_id(void **state)
{
    ring r;
    assert_int_equal(ring_init(&r, 8, 1), 0);
    ring_push(&r, owned(1, "a"));
    ring_push(&r, owned(2, "b"));
    ring_reset(&r, 50);
    assert_null(ring_get(&r, 2));
    assert_int_equal(r.first, 50);
    assert_int_equal(r.last, 49);
    ring_push(&r, owned(50, "c"));
    assert_non_null(ring_get(&r, 50));
    ring_fini(&r);
}

/* Two hub threads' rings share one event: it lives until both have let it go. */
static void test_event_shared_between_rings(void **state)
{
    ring a, b;
    assert_int_equal(ring_init(&a, 2, 1), 0);
    assert_int_equal(ring_init(&b, 4, 1), 0);
    ring_event *ev = owned(1, "shared");
    ring_event_ref(ev);
    ring_push(&a, ev);
    ring_push(&b, ev);
    assert_int_equal(ev->refs, 2);
    ring_push(&a, owned(2, "two"));
    ring_push(&a, owned(3, "three")); /* a forgets event 1 */
    assert_null(ring_get(&a, 1));
    assert_int_equal(ev->refs, 1);
    const ring_event *still = ring_get(&b, 1);
    assert_ptr_equal(still, ev);
    assert_memory_equal(still->frame, "shared", 6);
    ring_fini(&a);
    ring_fini(&b); /* the last reference: freed (asan checks) */
}

/* Frames packed into one chunk are adjacent, and the chunk lives while any of them does. */
static void test_chunk_packs_frames_back_to_back(void **state)
{
    ring r;
    assert_int_equal(ring_init(&r, 2, 10), 0);
    ring_chunk *ch = ring_chunk_new(64);
    assert_non_null(ch);
    ring_event *e1 = packed(ch, 10, "{\"id\":10}");
    ring_event *e2 = packed(ch, 11, "{\"id\":11}");
    assert_ptr_equal(e1->frame + e1->len, e2->frame);
    ring_push(&r, e1);
    ring_push(&r, e2);
    assert_int_equal(ch->refs, 3); /* the packer and two events */
    ring_chunk_unref(ch);          /* the packer moves on */
    ring_push(&r, owned(12, "x")); /* event 10 leaves; the chunk stays for 11 */
    assert_int_equal(ch->refs, 1);
    assert_memory_equal(ring_get(&r, 11)->frame, "{\"id\":11}", 9);
    ring_fini(&r); /* event 11 leaves: the chunk is freed */
}

static void test_hole_has_no_frame(void **state)
{
    ring_event *ev = ring_event_new(7, &no_tag, NULL, 123, NULL);
    assert_non_null(ev);
    assert_null(ev->frame);
    assert_int_equal(ev->len, 0);
    ring_event_unref(ev);
    ring_event_unref(NULL);
    ring_chunk_unref(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_ring_holds_nothing),
        cmocka_unit_test(test_push_get_and_evict_oldest),
        cmocka_unit_test(test_reset_forgets_and_moves_the_next_id),
        cmocka_unit_test(test_event_shared_between_rings),
        cmocka_unit_test(test_chunk_packs_frames_back_to_back),
        cmocka_unit_test(test_hole_has_no_frame),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
