/*-------------------------------------------------------------------------
 *
 * cognomega.h
 *		What every capability of cognomega shares: the "was I preloaded?"
 *		guard.  The settings and load-time entry points of each capability
 *		are in its own header.
 *
 * Each capability keeps its own header (cache.h, invalidate.h, partman.h,
 * queries.h, worker.h, stats.h) with its API for the others; this header
 * holds only what belongs to no single capability.
 *
 *-------------------------------------------------------------------------
 */
#ifndef COGNOMEGA_H
#define COGNOMEGA_H

#include "postgres.h"

#include "compat.h"

/* true when loaded from shared_preload_libraries (shared memory, workers) */
extern bool cognomega_is_preloaded;

/*
 * Raise ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE with a HINT naming
 * shared_preload_libraries unless the library was preloaded.  Every SQL
 * function that needs shared memory calls this first; it is the one place
 * that error is worded.
 */
extern void cognomega_require_preload(const char *what);

#endif							/* COGNOMEGA_H */
