/*  =========================================================================
    test_table - the intrusive hash table under dicts: put, replace, find,
    remove and iteration, before, during and after it moves to more buckets
    =========================================================================
*/
#include "testutil.h"
#include "zown_internal.h"
#include "base/table.h"

//  An item as a caller lays it out: the link, a field, the key.
typedef struct {
    zown_table_item_t item;
    long value;
    uint8_t key [];
} s_item_t;

static size_t s_freed;

static void
s_free (zown_table_item_t *item)
{
    s_freed++;
    free (item);
}

static s_item_t *
s_item_new (const void *key, size_t len, long value)
{
    s_item_t *item = (s_item_t *) malloc (sizeof (s_item_t) + len);
    assert_non_null (item);
    item->item.key_len = (uint32_t) len;
    item->value = value;
    if (len)
        memcpy (item->key, key, len);
    return item;
}

static zown_table_t *
s_table_new (void)
{
    s_freed = 0;
    zown_table_t *table = zown_table_new (offsetof (s_item_t, key), s_free);
    assert_non_null (table);
    return table;
}

static s_item_t *
s_find (zown_table_t *table, const char *key)
{
    return (s_item_t *) zown_table_find (table, key, strlen (key));
}

static void
test_put_find_replace_remove (void **state)
{
    (void) state;
    zown_table_t *table = s_table_new ();
    assert_null (s_find (table, "a"));
    assert_null (zown_table_put (table, &s_item_new ("a", 1, 1)->item));
    assert_null (zown_table_put (table, &s_item_new ("", 0, 2)->item));
    //  Keys are bytes: a zero inside counts, and so does the length.
    assert_null (zown_table_put (table, &s_item_new ("a\0b", 3, 3)->item));
    assert_null (zown_table_put (table, &s_item_new ("a\0", 2, 4)->item));
    assert_int_equal (zown_table_size (table), 4);
    assert_int_equal (s_find (table, "a")->value, 1);
    assert_int_equal (s_find (table, "")->value, 2);
    assert_int_equal (((s_item_t *) zown_table_find (table, "a\0b", 3))->value, 3);
    assert_int_equal (((s_item_t *) zown_table_find (table, "a\0", 2))->value, 4);
    assert_memory_equal (zown_table_key (table, &s_find (table, "a")->item), "a", 1);

    //  The same key again replaces, and hands the old item back.
    s_item_t *old = s_find (table, "a");
    zown_table_item_t *replaced = zown_table_put (table, &s_item_new ("a", 1, 5)->item);
    assert_ptr_equal (replaced, &old->item);
    free (replaced);
    assert_int_equal (zown_table_size (table), 4);
    assert_int_equal (s_find (table, "a")->value, 5);

    s_item_t *gone = s_find (table, "");
    zown_table_remove (table, &gone->item);
    free (gone);
    assert_null (s_find (table, ""));
    assert_int_equal (zown_table_size (table), 3);

    zown_table_clear (table);
    assert_int_equal (s_freed, 3);
    assert_int_equal (zown_table_size (table), 0);
    assert_null (s_find (table, "a"));
    zown_table_cursor_t cursor = ZOWN_TABLE_CURSOR;
    assert_null (zown_table_next (table, &cursor));
    zown_table_destroy (&table);
    assert_null (table);
    zown_table_destroy (&table);
}

//  Every item is found, and iteration sees each exactly once.
static void
s_check_all (zown_table_t *table, long count, long removed_below)
{
    char key [32];
    for (long index = removed_below; index < count; index++) {
        snprintf (key, sizeof (key), "key-%ld", index);
        s_item_t *item = s_find (table, key);
        assert_non_null (item);
        assert_int_equal (item->value, index);
    }
    uint8_t *seen = (uint8_t *) calloc ((size_t) count, 1);
    zown_table_cursor_t cursor = ZOWN_TABLE_CURSOR;
    size_t visited = 0;
    for (zown_table_item_t *item; (item = zown_table_next (table, &cursor)); visited++) {
        long value = ((s_item_t *) item)->value;
        assert_true (value >= removed_below && value < count);
        assert_int_equal (seen [value]++, 0);
    }
    assert_int_equal (visited, (size_t) (count - removed_below));
    assert_int_equal (zown_table_size (table), visited);
    free (seen);
}

static void
test_growth_moves_items_step_by_step (void **state)
{
    (void) state;
    zown_table_t *table = s_table_new ();
    char key [32];
    long count = 0;
    //  Check after every put while small, then at sizes around doublings,
    //  where old buckets are still being moved.
    for (; count < 5000; count++) {
        int len = snprintf (key, sizeof (key), "key-%ld", count);
        assert_null (zown_table_put (table, &s_item_new (key, (size_t) len, count)->item));
        if (count < 300 || (count & (count - 1)) == 0 || ((count + 3) & (count + 2)) == 0)
            s_check_all (table, count + 1, 0);
    }
    //  Removing during and after moves, oldest first.
    for (long index = 0; index < 2500; index++) {
        snprintf (key, sizeof (key), "key-%ld", index);
        s_item_t *item = s_find (table, key);
        assert_non_null (item);
        zown_table_remove (table, &item->item);
        free (item);
        if (index % 250 == 0)
            s_check_all (table, count, index + 1);
    }
    s_check_all (table, count, 2500);
    //  Replacing while moving keeps one item per key.
    for (long index = 2500; index < count; index++) {
        int len = snprintf (key, sizeof (key), "key-%ld", index);
        free (zown_table_put (table, &s_item_new (key, (size_t) len, index)->item));
    }
    s_check_all (table, count, 2500);
    zown_table_destroy (&table);
    assert_int_equal (s_freed, 2500);
}

static void
test_clear_while_moving (void **state)
{
    (void) state;
    zown_table_t *table = s_table_new ();
    char key [32];
    //  Just past a doubling: most old buckets are not moved yet.
    for (long index = 0; index < 1025; index++) {
        int len = snprintf (key, sizeof (key), "k%ld", index);
        assert_null (zown_table_put (table, &s_item_new (key, (size_t) len, index)->item));
    }
    zown_table_clear (table);
    assert_int_equal (s_freed, 1025);
    assert_int_equal (zown_table_size (table), 0);
    //  And it works as new afterwards.
    for (long index = 0; index < 100; index++) {
        int len = snprintf (key, sizeof (key), "key-%ld", index);
        assert_null (zown_table_put (table, &s_item_new (key, (size_t) len, index)->item));
    }
    s_check_all (table, 100, 0);
    zown_table_destroy (&table);
    assert_int_equal (s_freed, 1125);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_put_find_replace_remove),
        cmocka_unit_test (test_growth_moves_items_step_by_step),
        cmocka_unit_test (test_clear_while_moving),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
