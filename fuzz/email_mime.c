/* email_mime.c — libFuzzer driver of inbound mail parsing: email_parse (src/channels/email/mime.c,
 * GMime) on raw RFC 5322 bytes, then what ingest does with the result — the HTML body through the
 * allow-list sanitiser and the text extractor (sanitize.c).
 *
 * Input: the raw message. Checks the promises of email.h: the parse never fails on bad input,
 * kept attachments are within max_part_bytes, decoded strings are UTF-8. */
#include "channels/email/email.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TEXT 65536
#define MAX_PART 65536

static void need_utf8(const char *s)
{
    if (!s) return;
    json_t *j = json_string(s); /* NULL when not UTF-8 */
    if (!j) abort();
    json_decref(j);
}

static const char *cid_url(void *arg, const char *cid)
{
    (void)arg;
    return cid[0] && cid[0] != 'x' ? "/api/v1/attachments/1" : NULL;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    email_init();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *raw = malloc(size ? size : 1);
    if (!raw) return 0;
    memcpy(raw, data, size);
    email_limits lim = {MAX_PART, MAX_TEXT};
    email_parsed p;
    if (email_parse(raw, size, &lim, &p) != 0) abort(); /* only out of memory may fail */
    if (p.parsed) {
        need_utf8(p.subject);
        need_utf8(p.from_name);
        need_utf8(p.text);
        for (int i = 0; i < p.nfiles; i++)
            if (p.files[i].len > MAX_PART) abort();
        if (p.html) {
            email_html_opts o = {size & 1, cid_url, NULL, 1 << 20};
            json_t *flags = json_array();
            char *safe = NULL, *text = NULL;
            if (email_html_sanitize(p.html, &o, flags, &safe) == 0) need_utf8(safe);
            if (email_html_to_text(p.html, 1 << 20, &text) == 0) need_utf8(text);
            free(safe);
            free(text);
            json_decref(flags);
        }
    }
    email_parsed_fini(&p);
    free(raw);
    return 0;
}
