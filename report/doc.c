/* doc.c: the report as a document of sections and blocks (paragraphs, headings, lists,
 * tables, code), built once and rendered by format: Markdown here, HTML later. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/internal.h"

rpt_doc *rpt__doc_create(const char *title)
{
    rpt_doc *d = calloc(1, sizeof *d);
    if (d && !(d->title = rpt__strdup(title ? title : ""))) {
        free(d);
        return NULL;
    }
    return d;
}

static void block_free(rpt__block *b)
{
    free(b->text);
    for (size_t i = 0; i < b->n_items; i++)
        free(b->items[i]);
    free(b->items);
}

void rpt__doc_destroy(rpt_doc *d)
{
    if (!d)
        return;
    for (size_t s = 0; s < d->n; s++) {
        for (size_t b = 0; b < d->sections[s].n; b++)
            block_free(&d->sections[s].blocks[b]);
        free(d->sections[s].blocks);
        free(d->sections[s].title);
        free(d->sections[s].id);
    }
    free(d->sections);
    free(d->title);
    free(d);
}

static bool grow(void **p, size_t *cap, size_t n, size_t elem)
{
    if (n < *cap)
        return true;
    size_t nc = *cap ? 2 * *cap : 8;
    void *np = realloc(*p, nc * elem);
    if (!np)
        return false;
    memset((char *)np + *cap * elem, 0, (nc - *cap) * elem);
    *p = np;
    *cap = nc;
    return true;
}

void rpt__doc_section(rpt_doc *d, const char *title, const char *id)
{
    if (!d || d->oom)
        return;
    if (!grow((void **)&d->sections, &d->cap, d->n, sizeof *d->sections)) {
        d->oom = true;
        return;
    }
    rpt__section *s = &d->sections[d->n];
    s->title = rpt__strdup(title);
    s->id = rpt__strdup(id);
    if (!s->title || !s->id) {
        free(s->title);
        free(s->id);
        s->title = s->id = NULL;
        d->oom = true;
        return;
    }
    d->n++;
}

static rpt__block *new_block(rpt_doc *d, rpt_block_kind kind)
{
    if (!d || d->oom || !d->n)
        return NULL;
    rpt__section *s = &d->sections[d->n - 1];
    if (!grow((void **)&s->blocks, &s->cap, s->n, sizeof *s->blocks)) {
        d->oom = true;
        return NULL;
    }
    rpt__block *b = &s->blocks[s->n++];
    memset(b, 0, sizeof *b);
    b->kind = kind;
    return b;
}

static rpt__block *last_block(rpt_doc *d, rpt_block_kind kind)
{
    if (!d || d->oom || !d->n || !d->sections[d->n - 1].n)
        return NULL;
    rpt__section *s = &d->sections[d->n - 1];
    rpt__block *b = &s->blocks[s->n - 1];
    return b->kind == kind ? b : NULL;
}

char *rpt__vfmt(const char *fmt, va_list ap)
{
    va_list aq;
    va_copy(aq, ap);
    int n = vsnprintf(NULL, 0, fmt, aq);
    va_end(aq);
    if (n < 0)
        return NULL;
    char *s = malloc((size_t)n + 1);
    if (s)
        vsnprintf(s, (size_t)n + 1, fmt, ap);
    return s;
}

static void text_block(rpt_doc *d, rpt_block_kind kind, const char *fmt, va_list ap)
{
    rpt__block *b = new_block(d, kind);
    if (b && !(b->text = rpt__vfmt(fmt, ap)))
        d->oom = true;
}

void rpt__doc_heading(rpt_doc *d, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    text_block(d, RPT_BLOCK_HEADING, fmt, ap);
    va_end(ap);
}

void rpt__doc_para(rpt_doc *d, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    text_block(d, RPT_BLOCK_PARAGRAPH, fmt, ap);
    va_end(ap);
}

void rpt__doc_code(rpt_doc *d, const char *text)
{
    rpt__block *b = new_block(d, RPT_BLOCK_CODE);
    if (b && !(b->text = rpt__strdup(text)))
        d->oom = true;
}

void rpt__doc_list(rpt_doc *d)
{
    new_block(d, RPT_BLOCK_LIST);
}

static void append_item(rpt_doc *d, rpt__block *b, const char *fmt, va_list ap)
{
    if (!b)
        return;
    if (!grow((void **)&b->items, &b->cap, b->n_items, sizeof *b->items)) {
        d->oom = true;
        return;
    }
    if (!(b->items[b->n_items] = rpt__vfmt(fmt, ap))) {
        d->oom = true;
        return;
    }
    b->n_items++;
}

void rpt__doc_item(rpt_doc *d, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    append_item(d, last_block(d, RPT_BLOCK_LIST), fmt, ap);
    va_end(ap);
}

void rpt__doc_table(rpt_doc *d, size_t n_cols)
{
    rpt__block *b = new_block(d, RPT_BLOCK_TABLE);
    if (b)
        b->n_cols = n_cols ? n_cols : 1;
}

void rpt__doc_cell(rpt_doc *d, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    append_item(d, last_block(d, RPT_BLOCK_TABLE), fmt, ap);
    va_end(ap);
}

/* ---------------------------------------------------------------- public views */

size_t rpt_doc_section_count(const rpt_doc *d)
{
    return d ? d->n : 0;
}

const char *rpt_doc_section_title(const rpt_doc *d, size_t section)
{
    return d && section < d->n ? d->sections[section].title : NULL;
}

const char *rpt_doc_section_id(const rpt_doc *d, size_t section)
{
    return d && section < d->n ? d->sections[section].id : NULL;
}

size_t rpt_doc_block_count(const rpt_doc *d, size_t section)
{
    return d && section < d->n ? d->sections[section].n : 0;
}

const char *rpt_doc_title(const rpt_doc *d)
{
    return d ? d->title : NULL;
}

int rpt_doc_block(const rpt_doc *d, size_t section, size_t block, rpt_block *out)
{
    if (!d || !out || section >= d->n || block >= d->sections[section].n)
        return LG_EINVAL;
    const rpt__block *b = &d->sections[section].blocks[block];
    memset(out, 0, sizeof *out);
    out->kind = b->kind;
    out->text = b->text;
    if (b->kind == RPT_BLOCK_LIST) {
        out->items = (const char *const *)b->items;
        out->n_items = b->n_items;
    } else if (b->kind == RPT_BLOCK_TABLE) {
        out->cells = (const char *const *)b->items;
        out->n_cols = b->n_cols;
        out->n_rows = b->n_items / b->n_cols;
    }
    return 0;
}

/* ---------------------------------------------------------------- Markdown */

/* Writes c as an HTML entity when it is '<', '>' or '&' and returns true: a Markdown
 * renderer passes raw HTML through, and SUT, QSL and folder names are anybody's text
 * (a name "<script>..." must print, not run). */
static bool md_entity(FILE *f, char c)
{
    const char *e = c == '<' ? "&lt;" : c == '>' ? "&gt;" : c == '&' ? "&amp;" : NULL;
    if (e)
        fputs(e, f);
    return e != NULL;
}

/* Writes text for a table cell: '|' escaped, '<', '>', '&' as entities, line breaks as
 * spaces (a line break would end the table row). */
static void md_cell(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        if (*s == '|')
            fputs("\\|", f);
        else if (*s == '\n' || *s == '\r')
            fputc(' ', f);
        else if (!md_entity(f, *s))
            fputc(*s, f);
    }
}

/* Writes running text; characters that would start Markdown markup at the beginning of
 * a line ('#', '-', '+', '*' followed by a space) are escaped, '*' and '`' everywhere,
 * '<', '>' and '&' become entities. In a heading (one line by definition) line breaks
 * become spaces, so that a name holding one cannot end the heading early. */
static void md_text_as(FILE *f, const char *s, bool heading)
{
    bool bol = true;
    for (; s && *s; s++) {
        char c = *s;
        if (heading && (c == '\n' || c == '\r'))
            c = ' ';
        if (bol && (((c == '#') && (s[1] == ' ' || s[1] == '#' || !s[1])) ||
                    ((c == '-' || c == '+' || c == '*') && s[1] == ' ')))
            fputc('\\', f);
        if (c == '*' || c == '`')
            fputc('\\', f);
        if (!md_entity(f, c))
            fputc(c, f);
        bol = c == '\n';
    }
}

static void md_text(FILE *f, const char *s)
{
    md_text_as(f, s, false);
}

static void md_heading(FILE *f, const char *s)
{
    md_text_as(f, s, true);
}

int rpt_doc_write_markdown(const rpt_doc *d, FILE *f)
{
    if (!d || !f)
        return LG_EINVAL;
    fputs("# ", f);
    md_heading(f, d->title);
    fputs("\n", f);
    for (size_t s = 0; s < d->n; s++) {
        const rpt__section *sec = &d->sections[s];
        fprintf(f, "\n## ");
        md_heading(f, sec->title);
        fputc('\n', f);
        for (size_t i = 0; i < sec->n; i++) {
            const rpt__block *b = &sec->blocks[i];
            fputc('\n', f);
            switch (b->kind) {
            case RPT_BLOCK_HEADING:
                fputs("### ", f);
                md_heading(f, b->text);
                fputc('\n', f);
                break;
            case RPT_BLOCK_PARAGRAPH:
                md_text(f, b->text);
                fputc('\n', f);
                break;
            case RPT_BLOCK_CODE:
                fprintf(f, "```\n%s%s```\n", b->text ? b->text : "",
                        b->text && *b->text && b->text[strlen(b->text) - 1] == '\n' ? "" : "\n");
                break;
            case RPT_BLOCK_LIST:
                for (size_t k = 0; k < b->n_items; k++) {
                    fputs("- ", f);
                    md_text(f, b->items[k]);
                    fputc('\n', f);
                }
                break;
            case RPT_BLOCK_TABLE: {
                size_t rows = b->n_items / b->n_cols;
                for (size_t r = 0; r < rows; r++) {
                    fputc('|', f);
                    for (size_t c = 0; c < b->n_cols; c++) {
                        fputc(' ', f);
                        md_cell(f, b->items[r * b->n_cols + c]);
                        fputs(" |", f);
                    }
                    fputc('\n', f);
                    if (r == 0) {
                        fputc('|', f);
                        for (size_t c = 0; c < b->n_cols; c++)
                            fputs("---|", f);
                        fputc('\n', f);
                    }
                }
                break;
            }
            }
        }
    }
    fflush(f);
    return ferror(f) ? LG_EIO : 0;
}
