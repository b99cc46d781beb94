/*-------------------------------------------------------------------------
 *
 * invalidate.c
 *		Write tracking and commit-time invalidation.  (Stub: the cache issue
 *		fills this in.)
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "cognomega.h"

void
invalidate_init(void)
{
}
