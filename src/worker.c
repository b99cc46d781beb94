/*-------------------------------------------------------------------------
 *
 * worker.c
 *		Launcher and per-database job workers.  (Stub: the workers issue
 *		fills this in.)
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "cognomega.h"

void
worker_shmem_request(void)
{
}

void
worker_shmem_startup(void)
{
}

void
worker_register_launcher(void)
{
}
