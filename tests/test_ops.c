/*  =========================================================================
    test_ops - the op manifest (include/zown_ops.def), the command table
    made from it, and the op table of docs/PROTOCOL.md agree
    =========================================================================
*/
#include "testutil.h"
#include "zown_internal.h"

//  One row of PROTOCOL.md's op table: | `0x10` | DICT_SET | dict | ... | yes |
typedef struct {
    int code;
    char name [64];
    char object [32];
    bool creates;
} s_row_t;

//  Splits a table row into its cells (trimmed, in place); returns how many.
static size_t
s_cells (char *line, char **cells, size_t most)
{
    size_t count = 0;
    char *at = strchr (line, '|');
    while (at && count < most) {
        char *next = strchr (at + 1, '|');
        if (!next)
            break;
        *next = 0;
        char *cell = at + 1;
        while (*cell == ' ')
            cell++;
        for (char *end = next - 1; end >= cell && *end == ' '; end--)
            *end = 0;
        cells [count++] = cell;
        at = next;
    }
    return count;
}

//  Every op row of PROTOCOL.md, in the order written; returns how many.
static size_t
s_read_protocol (s_row_t *rows, size_t most)
{
    const char *docs = getenv ("ZOWN_DOCS_DIR");
    assert_non_null (docs);
    char path [4096];
    snprintf (path, sizeof (path), "%s/PROTOCOL.md", docs);
    FILE *file = fopen (path, "r");
    assert_non_null (file);
    char line [4096];
    size_t count = 0;
    while (fgets (line, sizeof (line), file))
        if (strncmp (line, "| `0x", 5) == 0) {
            assert_true (count < most);
            char *cells [8];
            assert_int_equal (s_cells (line, cells, 8), 7);
            s_row_t *row = &rows [count++];
            row->code = (int) strtol (cells [0] + 1, NULL, 16);
            snprintf (row->name, sizeof (row->name), "%s", cells [1]);
            snprintf (row->object, sizeof (row->object), "%s", cells [2]);
            row->creates = strncmp (cells [6], "yes", 3) == 0;
        }
    fclose (file);
    return count;
}

//  The Object column's word for a command: its type, or for the keyspace
//  ops "owner" (empty name) and "any" (an object of any type).
static const char *
s_object_word (const zown_command_t *command)
{
    if (command->type != &zown_keyspace_type)
        return command->type->name;
    return command->flags & ZOWN_CMD_OWNER ? "owner" : "any";
}

static void
test_protocol_lists_every_op_as_the_manifest (void **state)
{
    (void) state;
    s_row_t rows [256];
    size_t count = s_read_protocol (rows, 256);
    size_t ops = 0;
    for (int code = 0; code < 256; code++)
        ops += zown_commands [code].handler != NULL;
    assert_int_equal (count, ops);
    for (size_t index = 0; index < count; index++) {
        const s_row_t *row = &rows [index];
        if (index > 0)
            assert_true (row->code > rows [index - 1].code);  //  In code order
        const zown_command_t *command = &zown_commands [row->code];
        assert_non_null (command->handler);
        assert_int_equal (command->code, row->code);
        assert_string_equal (command->name, row->name);
        assert_string_equal (s_object_word (command), row->object);
        assert_int_equal ((command->flags & ZOWN_CMD_CREATE) != 0, row->creates);
    }
}

static void
test_command_table_is_consistent (void **state)
{
    (void) state;
    for (int code = 0; code < 256; code++) {
        const zown_command_t *command = &zown_commands [code];
        if (!command->handler) {
            assert_null (command->name);
            assert_null (zown_op_name (code));
            continue;
        }
        assert_int_equal (command->code, code);
        assert_non_null (command->type);
        assert_true (command->min_args <= command->max_args);
        //  An op reads or writes; only a write can need undo, be alone or be
        //  a journal form.
        assert_true (((command->flags & ZOWN_CMD_READ) != 0)
                     != ((command->flags & ZOWN_CMD_WRITE) != 0));
        if (command->flags & (ZOWN_CMD_MULTI | ZOWN_CMD_ALONE | ZOWN_CMD_JOURNAL))
            assert_true (command->flags & ZOWN_CMD_WRITE);
        //  Owner ops have codes below 0x10 but TYPE and DROP, which take an
        //  object of any type (PROTOCOL.md 5, 8).
        bool owner_code = code < 0x10 && code != ZOWN_OP_TYPE && code != ZOWN_OP_DROP;
        assert_int_equal ((command->flags & ZOWN_CMD_OWNER) != 0, owner_code);
    }
}

static void
test_names_and_codes_round_trip (void **state)
{
    (void) state;
    assert_string_equal (zown_op_name (ZOWN_OP_DICT_SET), "DICT_SET");
    assert_string_equal (zown_op_name (ZOWN_OP_CONDITION_NOTIFY), "CONDITION_NOTIFY");
    assert_null (zown_op_name (0x00));
    assert_null (zown_op_name (0xFF));
    assert_null (zown_op_name (-1));
    assert_null (zown_op_name (256));
    for (int code = 0; code < 256; code++)
        if (zown_op_name (code))
            assert_int_equal (zown_op_code (zown_op_name (code)), code);
    assert_int_equal (zown_op_code ("NO_SUCH_OP"), -1);
    assert_int_equal (zown_op_code (NULL), -1);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_protocol_lists_every_op_as_the_manifest),
        cmocka_unit_test (test_command_table_is_consistent),
        cmocka_unit_test (test_names_and_codes_round_trip),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
