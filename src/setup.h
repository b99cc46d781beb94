/*-------------------------------------------------------------------------
 *
 * setup.h
 *		The platform's data model: where cognomega.setup() put the tables.
 *
 *-------------------------------------------------------------------------
 */
#ifndef COGNOMEGA_SETUP_H
#define COGNOMEGA_SETUP_H

#include "postgres.h"

/*
 * OID of the schema cognomega.setup() recorded, read (through SPI, with the
 * caller's snapshot) from cognomega.setup_config.  Unless missing_ok, raises
 * ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE (hint: run cognomega.setup())
 * when setup has not run and ERRCODE_UNDEFINED_SCHEMA when the recorded
 * schema no longer exists; with missing_ok it returns InvalidOid instead.
 * The platform tables are found there by their names (users,
 * generated_apps, ..., ai_agent_analytics).
 */
extern Oid	setup_app_schema(bool missing_ok);

#endif							/* COGNOMEGA_SETUP_H */
