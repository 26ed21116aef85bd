/*  =========================================================================
    lock - what the condition type (actors/condition.c) uses of a lock or
    an rlock
    =========================================================================
*/
#ifndef ZOWN_LOCK_INTERNAL_H_INCLUDED
#define ZOWN_LOCK_INTERNAL_H_INCLUDED

//  Whether the object is a lock or an rlock; whether it is an rlock.
bool zown_lock_is (zown_object_t *object);
bool zown_lock_reentrant (zown_object_t *lock);
//  Whether `session` holds the lock; at what depth it holds it (1 for a
//  lock; 0 if free).
bool zown_lock_held_by (zown_object_t *lock, zown_session_t *session);
int64_t zown_lock_depth (zown_object_t *lock);
//  Give it up whatever its depth (waking its line); take it if free, at
//  `depth` (1 for a lock), which returns the died flag (0/1) or -1 if it
//  is held or out of memory.
void zown_lock_give_up (zown_object_t *lock);
int zown_lock_take (zown_object_t *lock, zown_session_t *session, int64_t depth);

#endif
