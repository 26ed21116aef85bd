/*  =========================================================================
    error - the calling thread's status, set by every failing call
    =========================================================================
*/
#ifndef ZOWN_ERROR_INTERNAL_H_INCLUDED
#define ZOWN_ERROR_INTERNAL_H_INCLUDED

//  Set the calling thread's status (zown_errno) and return -1.
int zown_fail (int status);
//  Same, returning NULL, for constructors.
void *zown_fail_null (int status);
//  Reset the calling thread's status to ZOWN_OK and return 0.
int zown_ok (void);

#endif
