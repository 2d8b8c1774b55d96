/*
 * audit_int.h: the journal verifier on a connection the caller opened
 * (storage/audit.c), for store_check (check.c) and store_journal_verify.
 */
#ifndef TREASURY_AUDIT_INT_H
#define TREASURY_AUDIT_INT_H

#include "treasury/audit.h"

#include "store_int.h"

/* store_journal_verify's walk on db, inside the caller's read transaction
 * (the same rules, findings and report; *out is zeroed first). Returns
 * TREASURY_OK when the walk ran to the end, else the database error
 * (db_errmsg(db) says more). */
TREASURY_WARN_UNUSED treasury_err
journal_verify_db(struct db *db, const uint8_t *pk, unsigned npk,
    int64_t uncovered_max,
    void (*finding)(const char *text, void *ctx), void *ctx,
    struct journal_report *out);

#endif
