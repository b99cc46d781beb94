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
 * OID of the schema cognomega.setup() recorded.  When setup has not run,
 * raises ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE naming cognomega.setup()
 * unless missing_ok, in which case it returns InvalidOid.
 */
extern Oid	setup_app_schema(bool missing_ok);

#endif							/* COGNOMEGA_SETUP_H */
