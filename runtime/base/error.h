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
//  Same as zown_fail, with a line saying what exactly was wrong
//  (printf format), read back with zown_fail_detail_text.
int zown_fail_detail (int status, const char *format, ...) __attribute__ ((format (printf, 2, 3)));
//  What the calling thread's last failure said about itself; "" if it
//  said nothing beyond its status.
const char *zown_fail_detail_text (void);
//  Reset the calling thread's status to ZOWN_OK and return 0.
int zown_ok (void);

#endif
