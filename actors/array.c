/*  =========================================================================
    array - a shared fixed-length array of int64 or of double, the
    counterpart of Python's multiprocessing.Array without its lock

    ARRAY_CREATE fixes the length and the element type (that of its initial
    value); every other op on an array that was never created fails with
    NOT_FOUND, and a number of the other type fails with WRONG_TYPE.
    =========================================================================
*/
#include "zown_internal.h"

typedef union {
    int64_t i;
    double d;
} s_slot_t;

typedef struct {
    zown_tag_t tag;   //  ZOWN_INT or ZOWN_DOUBLE; ZOWN_NIL until created
    size_t length;    //  Number of elements
    s_slot_t *slots;  //  The elements
} s_array_t;

static void *
s_create (void)
{
    return calloc (1, sizeof (s_array_t));
}

static void
s_destroy (void *impl)
{
    s_array_t *array = (s_array_t *) impl;
    if (array) {
        free (array->slots);
        free (array);
    }
}

static s_array_t *
s_array (zown_call_t *call)
{
    return (s_array_t *) call->object->impl;
}

static zown_datum_t
s_datum (const s_array_t *array, size_t index)
{
    return array->tag == ZOWN_INT ? zown_datum_int (array->slots [index].i)
                                  : zown_datum_double (array->slots [index].d);
}

static s_slot_t
s_slot (zown_datum_t number)
{
    s_slot_t slot;
    if (number.tag == ZOWN_INT)
        slot.i = number.u.i;
    else
        slot.d = number.u.d;
    return slot;
}

//  --------------------------------------------------------------------------
//  Undo records for batches: a run of elements as they were

typedef struct {
    size_t start;       //  First element saved
    size_t count;       //  Elements saved
    s_slot_t slots [];  //  Their values before the change
} s_saved_t;

static void
s_restore (zown_object_t *object, void *saved)
{
    s_saved_t *record = (s_saved_t *) saved;
    s_array_t *array = (s_array_t *) object->impl;
    memcpy (array->slots + record->start, record->slots, record->count * sizeof (s_slot_t));
    free (record);
}

//  Remember elements [start, start + count) before an undoable change.
static int
s_save (zown_call_t *call, size_t start, size_t count)
{
    if (!call->undo)
        return 0;
    s_saved_t *record = (s_saved_t *) malloc (sizeof (s_saved_t) + count * sizeof (s_slot_t));
    if (!record)
        return -1;
    record->start = start;
    record->count = count;
    memcpy (record->slots, s_array (call)->slots + start, count * sizeof (s_slot_t));
    if (zown_call_save (call, s_restore, free, record)) {
        free (record);
        return -1;
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  Handlers

//  Common checks: the array exists, and an index is inside it.
static int
s_need_array (zown_call_t *call)
{
    if (!call->object || s_array (call)->tag == ZOWN_NIL)
        return zown_call_error (call, ZOWN_NOT_FOUND, "no such array");
    return ZOWN_OK;
}

static int
s_need_index (zown_call_t *call, int64_t index, size_t *index_p)
{
    int status = s_need_array (call);
    if (status != ZOWN_OK)
        return status;
    if (index < 0 || (uint64_t) index >= s_array (call)->length)
        return zown_call_error (call, ZOWN_OUT_OF_RANGE, "index out of range");
    *index_p = (size_t) index;
    return ZOWN_OK;
}

static int
s_need_range (zown_call_t *call, int64_t start, int64_t count)
{
    int status = s_need_array (call);
    if (status != ZOWN_OK)
        return status;
    uint64_t length = s_array (call)->length;
    if (start < 0 || count < 0 || (uint64_t) start > length
        || (uint64_t) count > length - (uint64_t) start)
        return zown_call_error (call, ZOWN_OUT_OF_RANGE, "range out of the array");
    return ZOWN_OK;
}

static int
s_wrong_type (zown_call_t *call)
{
    return zown_call_error (call, ZOWN_WRONG_TYPE, "array holds the other number type");
}

int
zown_cmd_array_create (zown_call_t *call)
{
    s_array_t *array = s_array (call);
    int64_t length = call->argv [0].u.i;
    zown_datum_t initial = call->argv [1];
    if (array->tag != ZOWN_NIL) {
        //  Creating an existing array is harmless when it has this shape.
        if (array->tag != initial.tag || (uint64_t) length != array->length)
            return zown_call_error (call, ZOWN_WRONG_TYPE,
                                    "array exists with another length or type");
        zown_call_reply_int (call, 0);
        return ZOWN_OK;
    }
    if (length < 0)
        return zown_call_error (call, ZOWN_BAD_ARGS, "length must not be negative");
    //  The length counts against max_items (by default 16 Mi elements,
    //  128 MiB), except in a journal replay; never past the hard maximum,
    //  not even there: a damaged journal must not make the owner fill all
    //  of memory.
    if ((uint64_t) length > ZOWN_ARRAY_LENGTH_MAX)
        return zown_call_error (call, ZOWN_LIMIT, "array longer than 256 Mi elements");
    int status = zown_call_room (call, 0, (size_t) length);
    if (status != ZOWN_OK)
        return status;
    s_slot_t *slots = (uint64_t) length > SIZE_MAX / sizeof (s_slot_t)
        ? NULL
        : (s_slot_t *) malloc ((length ? (size_t) length : 1) * sizeof (s_slot_t));
    if (!slots)
        return zown_call_error (call, ZOWN_NO_MEMORY, "out of memory");
    s_slot_t fill = s_slot (initial);
    for (int64_t index = 0; index < length; index++)
        slots [index] = fill;
    //  A fresh object: a rollback removes it whole, so nothing to journal.
    array->slots = slots;
    array->length = (size_t) length;
    array->tag = initial.tag;
    zown_call_bump (call);
    zown_call_reply_int (call, 1);
    return ZOWN_OK;
}

int
zown_cmd_array_get (zown_call_t *call)
{
    size_t index = 0;
    int status = s_need_index (call, call->argv [0].u.i, &index);
    if (status == ZOWN_OK)
        zown_call_reply (call, s_datum (s_array (call), index));
    return status;
}

int
zown_cmd_array_set (zown_call_t *call)
{
    size_t index = 0;
    int status = s_need_index (call, call->argv [0].u.i, &index);
    if (status != ZOWN_OK)
        return status;
    if (call->argv [1].tag != s_array (call)->tag)
        return s_wrong_type (call);
    if (s_save (call, index, 1))
        return zown_call_error (call, ZOWN_NO_MEMORY, "out of memory");
    s_array (call)->slots [index] = s_slot (call->argv [1]);
    zown_call_bump (call);
    return ZOWN_OK;
}

int
zown_cmd_array_add (zown_call_t *call)
{
    size_t index = 0;
    int status = s_need_index (call, call->argv [0].u.i, &index);
    if (status != ZOWN_OK)
        return status;
    s_array_t *array = s_array (call);
    if (call->argv [1].tag != array->tag)
        return s_wrong_type (call);
    zown_datum_t sum;
    if (zown_number_add (s_datum (array, index), call->argv [1], &sum) == ZOWN_OVERFLOW)
        return zown_call_error (call, ZOWN_OVERFLOW, "int64 overflow");
    if (s_save (call, index, 1))
        return zown_call_error (call, ZOWN_NO_MEMORY, "out of memory");
    array->slots [index] = s_slot (sum);
    zown_call_bump (call);
    zown_call_reply (call, sum);
    return ZOWN_OK;
}

int
zown_cmd_array_read (zown_call_t *call)
{
    int64_t start = call->argv [0].u.i, count = call->argv [1].u.i;
    int status = s_need_range (call, start, count);
    if (status == ZOWN_OK)
        for (int64_t index = start; index < start + count; index++)
            zown_call_reply (call, s_datum (s_array (call), (size_t) index));
    return status;
}

int
zown_cmd_array_write (zown_call_t *call)
{
    int64_t start = call->argv [0].u.i;
    int64_t count = (int64_t) call->argc - 1;
    int status = s_need_range (call, start, count);
    if (status != ZOWN_OK)
        return status;
    s_array_t *array = s_array (call);
    for (int64_t index = 0; index < count; index++)
        if (call->argv [index + 1].tag != array->tag)
            return s_wrong_type (call);
    if (s_save (call, (size_t) start, (size_t) count))
        return zown_call_error (call, ZOWN_NO_MEMORY, "out of memory");
    for (int64_t index = 0; index < count; index++)
        array->slots [start + index] = s_slot (call->argv [index + 1]);
    zown_call_bump (call);
    zown_call_reply_int (call, count);
    return ZOWN_OK;
}

int
zown_cmd_array_snapshot (zown_call_t *call)
{
    int status = s_need_array (call);
    if (status == ZOWN_OK)
        for (size_t index = 0; index < s_array (call)->length; index++)
            zown_call_reply (call, s_datum (s_array (call), index));
    return status;
}

int
zown_cmd_array_len (zown_call_t *call)
{
    int status = s_need_array (call);
    if (status == ZOWN_OK)
        zown_call_reply_int (call, (int64_t) s_array (call)->length);
    return status;
}

//  A snapshot of an array: created with its shape, then written in runs.
static int
s_dump (zown_object_t *object, zown_dump_t *dump)
{
    s_array_t *array = (s_array_t *) object->impl;
    if (array->tag == ZOWN_NIL)
        return 0;
    zown_datum_t values [1 + 1024];
    values [0] = zown_datum_int ((int64_t) array->length);
    values [1] = array->tag == ZOWN_INT ? zown_datum_int (0) : zown_datum_double (0);
    if (zown_dump_change (dump, ZOWN_CHANGE_OP, ZOWN_OP_ARRAY_CREATE, 2, values, object->version))
        return -1;
    for (size_t start = 0; start < array->length; start += 1024) {
        size_t count = array->length - start < 1024 ? array->length - start : 1024;
        values [0] = zown_datum_int ((int64_t) start);
        for (size_t index = 0; index < count; index++)
            values [1 + index] = array->tag == ZOWN_INT
                ? zown_datum_int (array->slots [start + index].i)
                : zown_datum_double (array->slots [start + index].d);
        if (zown_dump_change (dump, ZOWN_CHANGE_OP, ZOWN_OP_ARRAY_WRITE, 1 + count, values,
                              object->version))
            return -1;
    }
    return 0;
}

const zown_type_def_t zown_array_type = {
    .name = "array",
    .create = s_create,
    .destroy = s_destroy,
    .dump = s_dump,
};
