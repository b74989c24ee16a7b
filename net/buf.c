/* net/buf.c: the growable byte buffer the client, the SUTs and their parsers share
 * (net_buf in net/net.h): it grows by doubling and keeps its memory for the next use. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/net.h"

bool net_buf_reserve(net_buf *b, size_t more)
{
    if (b->cap - b->len >= more)
        return true;
    if (more > SIZE_MAX / 2 - b->len)
        return false;
    size_t cap = b->cap ? b->cap : 256;
    while (cap - b->len < more)
        cap *= 2;
    unsigned char *p = realloc(b->p, cap);
    if (!p)
        return false;
    b->p = p;
    b->cap = cap;
    return true;
}

bool net_buf_append(net_buf *b, const void *p, size_t n)
{
    if (!net_buf_reserve(b, n))
        return false;
    if (n)
        memcpy(b->p + b->len, p, n);
    b->len += n;
    return true;
}

bool net_buf_printf(net_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (k < 0 || !net_buf_reserve(b, (size_t)k + 1))
        return false;
    va_start(ap, fmt);
    vsnprintf((char *)b->p + b->len, (size_t)k + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)k;
    return true;
}

void net_buf_free(net_buf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}
