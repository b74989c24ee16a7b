/* report/doc.h: documents, a report's sections of blocks (paragraphs, headings, lists,
 * tables, code), read block by block and rendered as Markdown or as one self-contained
 * HTML page. Part of the report library (report/report.h; its conventions apply).
 * docs/reports.md. */
#ifndef REPORT_DOC_H
#define REPORT_DOC_H

#include <stddef.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ==================================================================================== */
/* Documents: the report as sections of blocks, rendered as Markdown or HTML         */
/* ==================================================================================== */

typedef enum rpt_block_kind {
    RPT_BLOCK_PARAGRAPH = 0, /* text */
    RPT_BLOCK_HEADING = 1,   /* text: a sub-heading inside the section */
    RPT_BLOCK_LIST = 2,      /* items[0 .. n_items) */
    RPT_BLOCK_TABLE = 3,     /* cells[row * n_cols + col]; row 0 is the header */
    RPT_BLOCK_CODE = 4,      /* text, preformatted */
} rpt_block_kind;

/* A view of one block; the pointers live as long as the document. Text is plain (no
 * markup); renderers escape it for their format. */
typedef struct rpt_block {
    rpt_block_kind kind;
    const char *text;
    const char *const *items;
    size_t n_items;
    const char *const *cells;
    size_t n_cols, n_rows;
} rpt_block;

typedef struct rpt_doc rpt_doc;

size_t rpt_doc_section_count(const rpt_doc *d);
/* The section's title ("Executive Summary") and id ("executive-summary"), or NULL. */
const char *rpt_doc_section_title(const rpt_doc *d, size_t section);
const char *rpt_doc_section_id(const rpt_doc *d, size_t section);
size_t rpt_doc_block_count(const rpt_doc *d, size_t section);
/* Fills *out with block `block` of `section`. Returns 0, or LG_EINVAL when out of range. */
int rpt_doc_block(const rpt_doc *d, size_t section, size_t block, rpt_block *out);
/* The document's title. */
const char *rpt_doc_title(const rpt_doc *d);

/*
 * Renders a document as GitHub-flavoured Markdown: "# title", "## section", "###"
 * sub-headings, paragraphs, "- " lists, pipe tables (| escaped), fenced code.
 * Returns 0, or LG_EIO when writing to f failed.
 */
int rpt_doc_write_markdown(const rpt_doc *d, FILE *f);

/*
 * Renders a document as one self-contained HTML page (inline CSS, no script, no
 * external URL, every text escaped): the title, a table of contents, and each section
 * with its headings, paragraphs, lists, tables and code. No charts: see
 * rpt_report_write_html(). Returns 0, LG_EINVAL (NULL argument), LG_ENOMEM, or LG_EIO
 * when writing to f failed.
 */
int rpt_doc_write_html(const rpt_doc *d, FILE *f);

#ifdef __cplusplus
}
#endif

#endif /* REPORT_DOC_H */
