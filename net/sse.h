/* net/sse.h: an incremental parser of server-sent events (the WHATWG "event stream"
 * format, text/event-stream), fed with the bytes of a response body as they arrive, in
 * pieces of any size.
 *
 * The rules it follows:
 *  - a UTF-8 byte order mark (EF BB BF) at the very start of the stream is skipped, also
 *    when it arrives split over several feeds;
 *  - a line ends with LF, CRLF or CR, and a CR at the end of one feed followed by the LF
 *    at the start of the next is one line end, not two;
 *  - "name:value" sets a field, one space after the colon is dropped; a line without a
 *    colon is a field with an empty value; a line starting with ':' is a comment;
 *  - data: each line's value is appended to the event's data, lines joined with LF;
 *    event: sets the event's type (default "message"); id: sets the last event id
 *    unless the value holds a NUL byte, and it stays for the events after it; retry:
 *    made only of ASCII digits (at least one) sets the reconnection time in ms; other
 *    fields are ignored;
 *  - a blank line dispatches the event when at least one data line was seen, and starts
 *    the next one (the type is cleared either way);
 *  - an event unfinished at the end of the stream is discarded (net_sse_idle says so).
 * Bytes are passed on unchanged: no UTF-8 check (the JSON reader after it sees them).
 *
 * Memory: no line and no body is buffered. A field's value is copied as it arrives into
 * the one buffer it fills (the data, the type or the id), so the memory held is that of
 * the largest event seen, and a comment or an unknown field costs nothing whatever its
 * length. A field that would exceed the parser's limit fails the stream with -EMSGSIZE.
 * Buffers are kept by net_sse_reset, so one parser per connection, reset per response,
 * allocates nothing once it has seen its largest event.
 *
 * Thread safety: a parser belongs to one thread at a time; distinct parsers are
 * independent. Errors are negative errno values: -EMSGSIZE (a field over the limit),
 * -ENOMEM (a buffer could not grow); once one is returned the parser returns it again
 * until net_sse_reset. */
#ifndef NET_SSE_H
#define NET_SSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The limit net_sse_init uses when given 0: 1 MiB, far above any OpenAI chunk. */
#define NET_SSE_DEFAULT_MAX (1u << 20)

/* One dispatched event, valid only during the callback (its pointers point into the
 * parser's buffers). */
typedef struct net_sse_event {
    const char *type;  /* the event field's value, or "message" when none was given */
    size_t type_len;
    const char *data;  /* the data lines joined with LF, NUL-terminated */
    size_t data_len;
    const char *id;    /* the last event id of the stream so far ("" when none) */
    size_t id_len;
    bool done;         /* the data is exactly "[DONE]": OpenAI's end of a stream */
    uint64_t index;    /* events dispatched before this one since the last reset */
} net_sse_event;

/* Called once per event, in order. Returns 0 to go on, or any other value to stop:
 * net_sse_feed then returns that value at once (use positive values, so that they
 * differ from the parser's own negative errors), the rest of that feed unread. */
typedef int (*net_sse_cb)(void *ctx, const net_sse_event *ev);

/* A growable byte buffer of the parser (private). */
typedef struct net_sse_buf {
    char *p;
    size_t len, cap;
} net_sse_buf;

/* The parser. Its fields are private but for those marked public (read only). */
typedef struct net_sse {
    size_t max_bytes;       /* the limit of one field's accumulated value */
    net_sse_buf data, type, id, id_new;
    uint64_t fed;           /* public: bytes consumed since the last reset */
    uint64_t events;        /* public: events dispatched since the last reset */
    int64_t retry_ms;       /* public: the last valid retry field, -1 when none */
    int error;              /* the sticky error, 0 when none */
    uint8_t state;          /* where in a line the parser stands */
    uint8_t kind;           /* the field whose value is being read */
    uint8_t bom;            /* BOM bytes matched so far; 3 once past the stream start */
    bool after_cr;          /* the last line ended with CR: skip one LF */
    bool has_data;          /* the event has had a data line */
    bool id_nul;            /* the id value being read holds a NUL byte */
    bool retry_bad;         /* the retry value being read holds a non-digit */
    bool pending;           /* something of an unfinished event was read */
    uint8_t name_len;       /* the field name so far (at most 6 bytes kept) */
    char name[6];
    int64_t retry_new;      /* the retry value being read */
} net_sse;

/* Prepares p for a stream, with a limit of max_bytes (0: NET_SSE_DEFAULT_MAX) for the
 * data of one event, its type and its id, each. Allocates nothing (buffers grow as
 * events need). Never fails. */
void net_sse_init(net_sse *p, size_t max_bytes);

/* Forgets the stream (state, error, last event id, retry, counters) and keeps the
 * buffers and the limit: for the next response on the same connection. */
void net_sse_reset(net_sse *p);

/* Frees the buffers; p can be initialised again. */
void net_sse_free(net_sse *p);

/* Parses n bytes of the stream (n may be 0; buf may then be NULL), calling cb for each
 * event completed within them. Returns 0, the callback's non-zero value, -EMSGSIZE or
 * -ENOMEM. */
int net_sse_feed(net_sse *p, const char *buf, size_t n, net_sse_cb cb, void *ctx);

/* True when the stream stands between events: nothing of an unfinished event (no field,
 * no partial line) was read since the last dispatch or blank line. At the end of a body
 * a false answer means the last event was cut off and is lost. */
bool net_sse_idle(const net_sse *p);

/* One line naming an error code of net_sse_feed ("an event field is larger than the
 * limit", ...), or "unknown error". */
const char *net_sse_strerror(int rc);

#endif /* NET_SSE_H */
