/*  =========================================================================
    table - a hash table of items keyed by byte strings, with the chain
    link inside each item

    Separate chaining through a link in each item (as Redis's dict), so an
    item costs one allocation and one bucket pointer at a load of at most
    one. It doubles when it holds more items than buckets, and moves its
    items to the new buckets a few buckets at a time, on each later put
    and remove, so that no single op pays for a whole table's move. While
    it moves, an item whose old bucket is not yet moved is still there: a
    key is always in exactly one chain.
    =========================================================================
*/
#include "zown_internal.h"
#include "base/table.h"

#define S_BUCKETS_MIN 8
//  Old buckets moved per put or remove, and empty ones looked at: moving
//  at least two per put ends a move before the next doubling is due.
#define S_MOVE_STEP  2
#define S_MOVE_VISIT 16

struct _zown_table_t {
    zown_table_item_t **buckets;  //  Chains, a power of two of them
    size_t mask;                  //  Buckets - 1
    zown_table_item_t **old;      //  Chains being moved, NULL when none are
    size_t old_mask;
    size_t old_next;  //  Old buckets below this one are moved (empty)
    size_t size;      //  Items
    size_t key_offset;
    zown_table_free_fn *free_item;
    uint64_t seed;  //  Per table, so chains differ between tables and runs
};

//  Keyed from the process and the clock, so that keys that collide in one
//  run do not collide in the next.
static uint64_t s_seed_base;
static pthread_once_t s_seed_once = PTHREAD_ONCE_INIT;

static void
s_seed_init (void)
{
    s_seed_base = ((uint64_t) getpid () << 32) ^ (uint64_t) zclock_usecs ();
}

//  Mix a 64-bit word (splitmix64's finalizer).
static inline uint64_t
s_mix (uint64_t word)
{
    word ^= word >> 30;
    word *= 0xBF58476D1CE4E5B9ull;
    word ^= word >> 27;
    word *= 0x94D049BB133111EBull;
    return word ^ (word >> 31);
}

//  Eight bytes at a time, not one: keys are read whole words.
static uint64_t
s_hash (const zown_table_t *self, const uint8_t *key, size_t len)
{
    uint64_t hash = self->seed ^ len;
    for (; len >= 8; key += 8, len -= 8) {
        uint64_t word;
        memcpy (&word, key, 8);
        hash = s_mix (hash ^ word);
    }
    uint64_t tail = 0;
    if (len)
        memcpy (&tail, key, len);
    return s_mix (hash ^ tail ^ ((uint64_t) len << 56));
}

static inline const uint8_t *
s_key (const zown_table_t *self, const zown_table_item_t *item)
{
    return (const uint8_t *) item + self->key_offset;
}

const uint8_t *
zown_table_key (zown_table_t *self, const zown_table_item_t *item)
{
    return s_key (self, item);
}

zown_table_t *
zown_table_new (size_t key_offset, zown_table_free_fn *free_item)
{
    pthread_once (&s_seed_once, s_seed_init);
    zown_table_t *self = (zown_table_t *) calloc (1, sizeof (zown_table_t));
    if (self)
        self->buckets = (zown_table_item_t **) calloc (S_BUCKETS_MIN, sizeof (zown_table_item_t *));
    if (!self || !self->buckets) {
        free (self);
        return NULL;
    }
    self->mask = S_BUCKETS_MIN - 1;
    self->key_offset = key_offset;
    self->free_item = free_item;
    self->seed = s_mix (s_seed_base ^ (uint64_t) (uintptr_t) self);
    return self;
}

static void
s_free_chains (zown_table_t *self, zown_table_item_t **buckets, size_t count)
{
    for (size_t index = 0; index < count; index++)
        for (zown_table_item_t *item = buckets [index], *next; item; item = next) {
            next = item->next;
            self->free_item (item);
        }
}

void
zown_table_clear (zown_table_t *self)
{
    if (self->old) {
        s_free_chains (self, self->old, self->old_mask + 1);
        free (self->old);
        self->old = NULL;
    }
    s_free_chains (self, self->buckets, self->mask + 1);
    //  Back to the smallest size, or, without memory for that, empty chains.
    zown_table_item_t **fresh = self->mask + 1 > S_BUCKETS_MIN
        ? (zown_table_item_t **) calloc (S_BUCKETS_MIN, sizeof (zown_table_item_t *))
        : NULL;
    if (fresh) {
        free (self->buckets);
        self->buckets = fresh;
        self->mask = S_BUCKETS_MIN - 1;
    } else
        memset (self->buckets, 0, (self->mask + 1) * sizeof (zown_table_item_t *));
    self->size = 0;
}

void
zown_table_destroy (zown_table_t **self_p)
{
    if (self_p && *self_p) {
        zown_table_t *self = *self_p;
        zown_table_clear (self);
        free (self->buckets);
        free (self);
        *self_p = NULL;
    }
}

size_t
zown_table_size (zown_table_t *self)
{
    return self->size;
}

//  The head of the one chain where a key of this hash is.
static zown_table_item_t **
s_chain (zown_table_t *self, uint64_t hash)
{
    if (self->old && (hash & self->old_mask) >= self->old_next)
        return &self->old [hash & self->old_mask];
    return &self->buckets [hash & self->mask];
}

static void
s_move_bucket (zown_table_t *self, size_t index)
{
    for (zown_table_item_t *item = self->old [index], *next; item; item = next) {
        next = item->next;
        zown_table_item_t **chain =
            &self->buckets [s_hash (self, s_key (self, item), item->key_len) & self->mask];
        item->next = *chain;
        *chain = item;
    }
    self->old [index] = NULL;
}

//  Move a few old buckets to the new ones; free the old ones once empty.
static void
s_move_step (zown_table_t *self)
{
    size_t moved = 0;
    for (size_t visited = 0; self->old && moved < S_MOVE_STEP && visited < S_MOVE_VISIT;
         visited++) {
        moved += self->old [self->old_next] != NULL;
        s_move_bucket (self, self->old_next++);
        if (self->old_next > self->old_mask) {
            free (self->old);
            self->old = NULL;
        }
    }
}

//  Start moving to twice the buckets; without the memory, chains grow.
static void
s_grow (zown_table_t *self)
{
    size_t count = (self->mask + 1) * 2;
    zown_table_item_t **buckets =
        (zown_table_item_t **) calloc (count, sizeof (zown_table_item_t *));
    if (!buckets)
        return;
    self->old = self->buckets;
    self->old_mask = self->mask;
    self->old_next = 0;
    self->buckets = buckets;
    self->mask = count - 1;
}

//  The link that points at the item with this key (NULL: none), in *chain.
static zown_table_item_t **
s_link (zown_table_t *self, zown_table_item_t **chain, const void *key, size_t len)
{
    for (zown_table_item_t **link = chain; *link; link = &(*link)->next)
        if ((*link)->key_len == len && (len == 0 || memcmp (s_key (self, *link), key, len) == 0))
            return link;
    return NULL;
}

zown_table_item_t *
zown_table_find (zown_table_t *self, const void *key, size_t len)
{
    zown_table_item_t **link = s_link (self, s_chain (self, s_hash (self, key, len)), key, len);
    return link ? *link : NULL;
}

zown_table_item_t *
zown_table_put (zown_table_t *self, zown_table_item_t *item)
{
    s_move_step (self);
    const uint8_t *key = s_key (self, item);
    zown_table_item_t **chain = s_chain (self, s_hash (self, key, item->key_len));
    zown_table_item_t **link = s_link (self, chain, key, item->key_len);
    if (link) {
        zown_table_item_t *replaced = *link;
        item->next = replaced->next;
        *link = item;
        return replaced;
    }
    item->next = *chain;
    *chain = item;
    if (++self->size > self->mask + 1 && !self->old)
        s_grow (self);
    return NULL;
}

void
zown_table_remove (zown_table_t *self, zown_table_item_t *item)
{
    zown_table_item_t **link = s_chain (self, s_hash (self, s_key (self, item), item->key_len));
    while (*link != item)
        link = &(*link)->next;
    *link = item->next;
    item->next = NULL;
    self->size--;
    s_move_step (self);
}

zown_table_item_t *
zown_table_next (zown_table_t *self, zown_table_cursor_t *cursor)
{
    if (cursor->item && cursor->item->next)
        return cursor->item = cursor->item->next;
    size_t old_count = self->old ? self->old_mask + 1 : 0;
    //  cursor->bucket counts the old buckets first, then the new ones.
    while (cursor->bucket < old_count + self->mask + 1) {
        size_t index = cursor->bucket++;
        zown_table_item_t *head =
            index < old_count ? self->old [index] : self->buckets [index - old_count];
        if (head)
            return cursor->item = head;
    }
    return cursor->item = NULL;
}
