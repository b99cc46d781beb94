/*-------------------------------------------------------------------------
 *
 * setup.c
 *		Data model and recommended compound indexes.  (Stub: the foundation
 *		issue fills this in.)
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "cognomega.h"
#include "setup.h"

Oid
setup_app_schema(bool missing_ok)
{
	if (!missing_ok)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the platform tables are not set up"),
				 errhint("Run SELECT cognomega.setup(); first.")));
	return InvalidOid;
}
