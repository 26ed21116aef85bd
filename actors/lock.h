/*  =========================================================================
    lock - what the condition type (actors/condition.c) uses of a lock
    =========================================================================
*/
#ifndef ZOWN_LOCK_INTERNAL_H_INCLUDED
#define ZOWN_LOCK_INTERNAL_H_INCLUDED

//  Whether `session` holds the lock object; give it up (waking its line);
//  take it if free, which returns the died flag (0/1) or -1 if it is held
//  or out of memory.
bool zown_lock_held_by (zown_object_t *lock, zown_session_t *session);
void zown_lock_give_up (zown_object_t *lock);
int zown_lock_take (zown_object_t *lock, zown_session_t *session);

#endif
