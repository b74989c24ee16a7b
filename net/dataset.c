/* net/dataset.c: the JSON Lines prompt reader (net/dataset.h). Each line is parsed with
 * jansson, which also checks UTF-8 and refuses duplicate keys; loading happens once,
 * before a run, where a library's exactness matters more than speed. Lines are read
 * through a fixed buffer: a line that fits in it is parsed where it lies, a longer one
 * is gathered in a second buffer that stops growing at the limit. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "net/dataset.h"

#define READ_CHUNK (64u << 10)
#define BLOCK_BYTES (1u << 20)

typedef struct block {
    struct block *next;
    size_t used, cap;
    char data[];
} block;

struct net_dataset {
    net_ds_sample *s;
    size_t n, cap;
    block *blocks;
    size_t max_body;
};

/* ------------------------------------------------------------------ lines */

typedef struct lines {
    FILE *f;          /* NULL: the text is all in rb */
    const char *rb;   /* the read buffer, or the text */
    char *own;        /* rb when it is ours */
    size_t rpos, rlen;
    char *buf;        /* a line gathered over several reads */
    size_t len, cap, max;
    uint64_t lineno;
} lines;

static int gather(lines *L, const char *s, size_t n)
{
    if (n > L->max - L->len)
        return -EMSGSIZE;
    if (L->len + n > L->cap) {
        size_t cap = L->cap ? L->cap : READ_CHUNK;
        while (cap < L->len + n)
            cap *= 2;
        char *p = realloc(L->buf, cap);
        if (!p)
            return -ENOMEM;
        L->buf = p;
        L->cap = cap;
    }
    memcpy(L->buf + L->len, s, n);
    L->len += n;
    return 0;
}

/* The next line (without its LF) in *line; 1, 0 at the end, or a negative errno. */
static int next_line(lines *L, const char **line, size_t *n)
{
    bool gathering = false;
    L->len = 0;
    for (;;) {
        if (L->rpos == L->rlen) {
            size_t got = L->f ? fread(L->own, 1, READ_CHUNK, L->f) : 0;
            if (got == 0) {
                if (L->f && ferror(L->f))
                    return -EIO;
                if (!gathering)
                    return 0;
                L->lineno++;
                *line = L->buf, *n = L->len; /* the last line, without LF */
                return 1;
            }
            L->rpos = 0;
            L->rlen = got;
        }
        const char *s = L->rb + L->rpos;
        size_t avail = L->rlen - L->rpos;
        const char *lf = memchr(s, '\n', avail);
        size_t seg = lf ? (size_t)(lf - s) : avail;
        L->rpos += lf ? seg + 1 : seg;
        if (!gathering && lf) {
            if (seg > L->max)
                return (L->lineno++, -EMSGSIZE);
            L->lineno++;
            *line = s, *n = seg;
            return 1;
        }
        int rc = gather(L, s, seg);
        if (rc)
            return (L->lineno++, rc);
        gathering = true;
        if (lf) {
            L->lineno++;
            *line = L->buf, *n = L->len;
            return 1;
        }
    }
}

/* ------------------------------------------------------------------ storage */

static char *store(net_dataset *d, const char *s, size_t n)
{
    block *b = d->blocks;
    if (!b || b->cap - b->used < n + 1) {
        size_t cap = n + 1 > BLOCK_BYTES ? n + 1 : BLOCK_BYTES;
        b = malloc(sizeof *b + cap);
        if (!b)
            return NULL;
        b->next = d->blocks;
        b->used = 0;
        b->cap = cap;
        d->blocks = b;
    }
    char *p = b->data + b->used;
    if (s)
        memcpy(p, s, n);
    p[n] = '\0';
    b->used += n + 1;
    return p;
}

void net_dataset_free(net_dataset *d)
{
    if (!d)
        return;
    for (block *b = d->blocks, *next; b; b = next) {
        next = b->next;
        free(b);
    }
    free(d->s);
    free(d);
}

size_t net_dataset_count(const net_dataset *d)
{
    return d->n;
}

const net_ds_sample *net_dataset_sample(const net_dataset *d, size_t i)
{
    return &d->s[i];
}

size_t net_dataset_max_body(const net_dataset *d)
{
    return d->max_body;
}

/* ------------------------------------------------------------------ one line */

typedef struct loader {
    const char *name;
    const net_ds_options *o;
    net_dataset *d;
    net_oai_message *msgs;
    size_t msgs_cap;
    char *err;
    size_t errlen;
    uint64_t lineno;
} loader;

static int fail(loader *L, int rc, const char *fmt, ...)
{
    char what[320];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (L->err && L->errlen)
        snprintf(L->err, L->errlen, "%s:%" PRIu64 ": %s", L->name, L->lineno, what);
    return rc;
}

/* A key as it can be printed on one line: at most 40 bytes, control bytes as '?'. */
static const char *printable(const char *key, char out[48])
{
    size_t i = 0;
    for (; key[i] && i < 40; i++)
        out[i] = (unsigned char)key[i] < 0x20 || key[i] == 0x7f ? '?' : key[i];
    strcpy(out + i, key[i] ? "..." : "");
    return out;
}

/* A value for a message, e.g. "0", "\"ten\"", "null": jansson's text, shortened. */
static const char *shown(const json_t *v, char out[48])
{
    char *t = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
    snprintf(out, 48, "%s", t ? t : "?");
    if (t && strlen(t) > 40)
        strcpy(out + 40, "...");
    free(t);
    return out;
}

static int one_message(loader *L, size_t i, json_t *m)
{
    const char *key;
    json_t *v;
    char kb[48];
    net_oai_message *out = &L->msgs[i];
    if (!json_is_object(m))
        return fail(L, -EINVAL, "key 'messages[%zu]': must be an object {role, content}", i);
    out->role = out->content = NULL;
    json_object_foreach(m, key, v) {
        bool role = strcmp(key, "role") == 0;
        if (role || strcmp(key, "content") == 0) {
            if (!json_is_string(v) || (role && json_string_length(v) == 0))
                return fail(L, -EINVAL, "key 'messages[%zu].%s': must be a %sstring", i,
                            key, role ? "non-empty " : "");
            const char **s = role ? &out->role : &out->content;
            size_t *n = role ? &out->role_len : &out->content_len;
            *s = json_string_value(v);
            *n = json_string_length(v);
        } else if (!L->o->ignore_unknown_keys) {
            return fail(L, -EINVAL,
                        "key 'messages[%zu].%s': unknown (a message has role and content)",
                        i, printable(key, kb));
        }
    }
    if (!out->role || !out->content)
        return fail(L, -EINVAL, "key 'messages[%zu].%s': missing", i,
                    out->role ? "content" : "role");
    return 0;
}

static int messages(loader *L, json_t *v, size_t *n)
{
    if (L->o->endpoint != NET_OAI_CHAT)
        return fail(L, -EINVAL, "key 'messages': a chat sample, but the endpoint is "
                                "/v1/completions (give a prompt instead)");
    if (!json_is_array(v) || json_array_size(v) == 0)
        return fail(L, -EINVAL, "key 'messages': must be a non-empty array of "
                                "{role, content} objects");
    *n = json_array_size(v);
    if (*n > L->msgs_cap) {
        net_oai_message *m = realloc(L->msgs, *n * sizeof *m);
        if (!m)
            return fail(L, -ENOMEM, "out of memory");
        L->msgs = m;
        L->msgs_cap = *n;
    }
    for (size_t i = 0; i < *n; i++) {
        int rc = one_message(L, i, json_array_get(v, i));
        if (rc)
            return rc;
    }
    return 0;
}

/* The sample's members into req and s (expected_output stays in *expect). */
static int members(loader *L, json_t *obj, net_oai_request *req, net_ds_sample *s,
                   json_t **expect)
{
    const char *key;
    json_t *v;
    char kb[48], vb[48];
    int rc;
    json_object_foreach(obj, key, v) {
        if (strcmp(key, "prompt") == 0) {
            if (!json_is_string(v))
                return fail(L, -EINVAL, "key 'prompt': must be a string (got %s)",
                            shown(v, vb));
            req->prompt = json_string_value(v);
            req->prompt_len = json_string_length(v);
        } else if (strcmp(key, "messages") == 0) {
            size_t n = 0;
            if ((rc = messages(L, v, &n)) != 0)
                return rc;
            req->messages = L->msgs;
            req->n_messages = n;
        } else if (strcmp(key, "max_tokens") == 0) {
            if (!json_is_integer(v) || json_integer_value(v) < 1)
                return fail(L, -EINVAL, "key 'max_tokens': must be an integer >= 1 (got %s)",
                            shown(v, vb));
            req->max_tokens = (uint64_t)json_integer_value(v);
        } else if (strcmp(key, "expected_output") == 0) {
            if (!json_is_string(v))
                return fail(L, -EINVAL, "key 'expected_output': must be a string (got %s)",
                            shown(v, vb));
            *expect = v;
        } else if (!L->o->ignore_unknown_keys) {
            return fail(L, -EINVAL,
                        "key '%s': unknown (a sample has prompt or messages, max_tokens, "
                        "expected_output)",
                        printable(key, kb));
        }
    }
    if (req->prompt && req->messages)
        return fail(L, -EINVAL, "key 'messages': a sample has a prompt or messages, not both");
    if (!req->prompt && !req->messages)
        return fail(L, -EINVAL, "key 'prompt': missing (a sample needs prompt or messages)");
    s->n_messages = (uint32_t)req->n_messages;
    s->prompt_bytes = req->prompt_len;
    for (size_t i = 0; i < req->n_messages; i++)
        s->prompt_bytes += req->messages[i].content_len;
    return 0;
}

/* The sample's record, its body and its expected output, stored. */
static int add_sample(loader *L, const net_oai_request *req, net_ds_sample *s, json_t *expect)
{
    net_dataset *d = L->d;
    size_t len;
    net_oai_build(req, NULL, 0, &len);
    char *body = store(d, NULL, len);
    if (!body || net_oai_build(req, body, len + 1, &len) != 0)
        return fail(L, -ENOMEM, "out of memory");
    s->body = body;
    s->body_len = len;
    if (len > d->max_body)
        d->max_body = len;
    if (expect) {
        s->expected_len = json_string_length(expect);
        s->expected_output = store(d, json_string_value(expect), s->expected_len);
        if (!s->expected_output)
            return fail(L, -ENOMEM, "out of memory");
    }
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 1024;
        net_ds_sample *a = realloc(d->s, cap * sizeof *a);
        if (!a)
            return fail(L, -ENOMEM, "out of memory");
        d->s = a;
        d->cap = cap;
    }
    d->s[d->n++] = *s;
    return 0;
}

static int one_line(loader *L, const char *line, size_t n)
{
    size_t i = 0;
    while (i < n && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r'))
        i++;
    if (i == n)
        return 0; /* a blank line */
    json_error_t je;
    json_t *obj = json_loadb(line, n, JSON_REJECT_DUPLICATES, &je);
    if (!obj)
        return fail(L, -EINVAL, "not valid JSON at column %d: %s", je.column, je.text);
    int rc = 0;
    if (!json_is_object(obj)) {
        rc = fail(L, -EINVAL, "a sample must be a JSON object");
    } else {
        net_oai_request req = {.endpoint = L->o->endpoint, .model = L->o->model,
                               .max_tokens = L->o->default_max_tokens,
                               .max_completion_tokens = L->o->max_completion_tokens,
                               .stream = L->o->stream, .extra = L->o->extra,
                               .extra_len = L->o->extra_len};
        net_ds_sample s = {.line = L->lineno};
        json_t *expect = NULL;
        rc = members(L, obj, &req, &s, &expect);
        s.max_tokens = req.max_tokens;
        if (rc == 0)
            rc = add_sample(L, &req, &s, expect);
    }
    json_decref(obj);
    return rc;
}

/* ------------------------------------------------------------------ entry points */

static int check_options(const char *name, const net_ds_options *o, char *err, size_t errlen)
{
    char why[200];
    if (!o || !o->model || !o->model[0]) {
        if (err && errlen)
            snprintf(err, errlen, "%s: no model named for the request bodies", name);
        return -EINVAL;
    }
    if (o->extra && net_oai_extra_check(o->extra, o->extra_len, why, sizeof why) != 0) {
        if (err && errlen)
            snprintf(err, errlen, "%s: %s", name, why);
        return -EINVAL;
    }
    return 0;
}

static int read_all(lines *R, loader *L)
{
    const char *line;
    size_t n;
    int rc;
    while ((rc = next_line(R, &line, &n)) == 1) {
        L->lineno = R->lineno;
        if ((rc = one_line(L, line, n)) != 0)
            return rc;
    }
    L->lineno = R->lineno;
    if (rc == -EMSGSIZE)
        return fail(L, rc, "line longer than the limit of %zu bytes", R->max);
    if (rc == -EIO)
        return fail(L, rc, "read error");
    if (rc < 0)
        return fail(L, rc, "out of memory");
    if (L->d->n == 0) {
        if (L->err && L->errlen)
            snprintf(L->err, L->errlen, "%s: no sample (the file holds no non-blank line)",
                     L->name);
        return -EINVAL;
    }
    return 0;
}

static int load(const char *name, FILE *f, const char *text, size_t n,
                const net_ds_options *o, net_dataset **out, char *err, size_t errlen)
{
    lines R = {.f = f, .rb = text, .rlen = f ? 0 : n,
               .max = o->max_line_bytes ? o->max_line_bytes : NET_DS_DEFAULT_MAX_LINE};
    loader L = {.name = name, .o = o, .err = err, .errlen = errlen};
    int rc = -ENOMEM;
    L.d = calloc(1, sizeof *L.d);
    if (f && L.d)
        R.rb = R.own = malloc(READ_CHUNK);
    if (L.d && (!f || R.own))
        rc = read_all(&R, &L);
    else if (err && errlen)
        snprintf(err, errlen, "%s: out of memory", name);
    free(R.own);
    free(R.buf);
    free(L.msgs);
    if (rc) {
        net_dataset_free(L.d);
        return rc;
    }
    *out = L.d;
    return 0;
}

int net_dataset_parse(const char *name, const char *text, size_t n, const net_ds_options *o,
                      net_dataset **out, char *err, size_t errlen)
{
    int rc = check_options(name, o, err, errlen);
    return rc ? rc : load(name, NULL, text, n, o, out, err, errlen);
}

int net_dataset_load(const char *path, const net_ds_options *o, net_dataset **out,
                     char *err, size_t errlen)
{
    int rc = check_options(path, o, err, errlen);
    if (rc)
        return rc;
    FILE *f = fopen(path, "rb");
    if (!f) {
        rc = -errno;
        if (err && errlen)
            snprintf(err, errlen, "%s: cannot open: %s", path, strerror(-rc));
        return rc;
    }
    rc = load(path, f, NULL, 0, o, out, err, errlen);
    fclose(f);
    return rc;
}
