/*
 * statements.c: the SQL text of every statement a store prepares once, at
 * open, on its connection (see enum store_stmt in store_int.h).
 *
 * Only bound parameters carry values; no SQL is built from input. A new
 * statement is one enum entry and one line here.
 */
#include "store_int.h"

const char *const store_stmt_sql[STMT_COUNT_] = {
	/* ?1 name, ?2 roles, ?3 hash, ?4 created_at, ?5 TOKENS_MAX: no row
	 * is inserted (changes() == 0) when the live-token limit is reached. */
	[STMT_TOKEN_INSERT] =
	    "INSERT INTO tokens (name, roles, hash, created_at)"
	    " SELECT ?1, ?2, ?3, ?4"
	    " WHERE (SELECT count(*) FROM tokens WHERE revoked_at IS NULL) < ?5",
	[STMT_TOKEN_FIND] =
	    "SELECT id, name, roles, created_at, hash FROM tokens"
	    " WHERE hash = ?1 AND revoked_at IS NULL",
	[STMT_TOKEN_LIST] =
	    "SELECT id, name, roles, created_at FROM tokens"
	    " WHERE revoked_at IS NULL ORDER BY id",
	[STMT_TOKEN_REVOKE] =
	    "UPDATE tokens SET revoked_at = unixepoch()"
	    " WHERE name = ?1 AND revoked_at IS NULL",
	[STMT_TOKEN_COUNT] =
	    "SELECT count(*) FROM tokens WHERE revoked_at IS NULL",
};
