/*  =========================================================================
    pool_worker - the worker side of a pool: its loop, and the task and
    worker handles the application's functions see

    The same loop runs in a forked process and in a thread. It says HELLO,
    then takes tasks in the order the pool sent them, one at a time, and
    answers each with one result. A process worker's socket lives in the
    context zown_ctx() makes for the new process.

    A thread worker's session ends with its thread, however the thread
    ends: a task that calls pthread_exit() runs the destructor of a
    thread-specific key, which destroys the worker's client (its BYE ends
    the owner session, so the locks it held come back), says GONE and
    closes the socket. Its state is on the heap for that reason: the
    stack is gone by then.
    =========================================================================
*/
#include "zown_internal.h"
#include "workers/pool.h"
#include <stdarg.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/socket.h>

struct _zown_task_t {
    const void *data;
    size_t size;
    uint8_t *result;  //  Reused from task to task
    size_t result_size;
    size_t result_capacity;
    bool failed_with_message;
};

struct _zown_worker_t {
    const zown_worker_setup_t *setup;
    zown_client_t *client;      //  To the owner, or NULL
    void *state;                //  The application's
    void *socket;               //  To the pool
    atomic_bool *abandoned;     //  Thread workers: set once the pool let go
    zown_task_t task;           //  The task running, or the last one
    zmq_msg_t payload;          //  Its input
    zown_worker_left_fn *left;  //  Runs last
    void *left_arg;
};

//  Thread workers: the key whose destructor ends a worker whose thread
//  ended inside the application's code.
static pthread_key_t s_thread_key;
static pthread_once_t s_thread_key_once = PTHREAD_ONCE_INIT;
static bool s_thread_key_made;

void
zown_pool_identity (uint8_t identity [ZOWN_POOL_IDENTITY_SIZE], uint32_t slot, uint32_t generation)
{
    //  A ZeroMQ identity must not start with a zero byte.
    identity [0] = 'w';
    memcpy (identity + 1, &slot, sizeof (slot));
    memcpy (identity + 5, &generation, sizeof (generation));
}

static void *
s_connect (const zown_worker_setup_t *setup)
{
    void *ctx = zown_ctx ();
    void *socket = ctx ? zmq_socket (ctx, ZMQ_DEALER) : NULL;
    if (!socket)
        return NULL;
    uint8_t identity [ZOWN_POOL_IDENTITY_SIZE];
    zown_pool_identity (identity, setup->slot, setup->generation);
    int linger = 0;
    if (zmq_setsockopt (socket, ZMQ_ROUTING_ID, identity, sizeof (identity))
        || zmq_setsockopt (socket, ZMQ_LINGER, &linger, sizeof (linger))
        || zmq_connect (socket, setup->endpoint)) {
        zmq_close (socket);
        return NULL;
    }
    return socket;
}

_Atomic uint64_t *
zown_pool_running_map (const char *path, size_t slots, bool create)
{
    int fd = open (path, create ? O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC : O_RDWR | O_CLOEXEC, 0600);
    if (fd < 0)
        return NULL;
    size_t size = (slots + 1) * sizeof (uint64_t);
    void *map = MAP_FAILED;
    if (!create || ftruncate (fd, (off_t) size) == 0)
        map = mmap (NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close (fd);
    return map == MAP_FAILED ? NULL : map;
}

//  Write a result on a process worker's stream, whole, across partial
//  writes. A pool that has gone makes it fail (no SIGPIPE).
static int
s_write_result (int stream, uint64_t id, uint8_t status, zown_task_t *task)
{
    uint8_t header [ZOWN_POOL_STREAM_HEADER] = { status };
    uint64_t size = task->result_size;
    memcpy (header + 1, &id, sizeof (id));
    memcpy (header + 9, &size, sizeof (size));
    struct iovec parts [2] = { { header, sizeof (header) }, { task->result, task->result_size } };
    struct msghdr message = { .msg_iov = parts, .msg_iovlen = 2 };
    while (message.msg_iovlen) {
        ssize_t written = sendmsg (stream, &message, MSG_NOSIGNAL);
        if (written < 0 && errno == EINTR)
            continue;
        if (written < 0)
            return -1;
        while (message.msg_iovlen && (size_t) written >= message.msg_iov->iov_len) {
            written -= (ssize_t) message.msg_iov->iov_len;
            message.msg_iov++;
            message.msg_iovlen--;
        }
        if (message.msg_iovlen) {
            message.msg_iov->iov_base = (uint8_t *) message.msg_iov->iov_base + written;
            message.msg_iov->iov_len -= (size_t) written;
        }
    }
    return 0;
}

static int
s_send_result (const zown_worker_setup_t *setup, void *socket, uint64_t id, uint8_t status,
               zown_task_t *task)
{
    if (setup->results >= 0)
        return s_write_result (setup->results, id, status, task);
    uint8_t header [10] = { ZOWN_POOL_RESULT, status };
    memcpy (header + 2, &id, sizeof (id));
    if (zmq_send (socket, header, sizeof (header), ZMQ_SNDMORE) < 0)
        return -1;
    return zmq_send (socket, task->result, task->result_size, 0) < 0 ? -1 : 0;
}

//  Receive one TASK (0, its payload in *payload), or a STOP or a broken
//  socket (-1).
static int
s_receive_task (void *socket, uint64_t *id_p, zmq_msg_t *payload)
{
    zmq_msg_t header;
    zmq_msg_init (&header);
    int rc = -1;
    if (zmq_msg_recv (&header, socket, 0) >= 0 && zmq_msg_size (&header) == 9
        && ((uint8_t *) zmq_msg_data (&header)) [0] == ZOWN_POOL_TASK && zmq_msg_more (&header)
        && zmq_msg_recv (payload, socket, 0) >= 0) {
        memcpy (id_p, (uint8_t *) zmq_msg_data (&header) + 1, sizeof (*id_p));
        rc = 0;
    }
    zmq_msg_close (&header);
    return rc;
}

//  Run the tasks the pool sends until STOP. Once the pool is cancelled, a
//  task is answered ZOWN_CANCELLED instead of run.
static void
s_run_tasks (zown_worker_t *worker, _Atomic uint64_t *running, _Atomic uint64_t *cancel)
{
    zown_task_t *task = &worker->task;
    atomic_bool *abandoned = worker->abandoned;
    uint64_t id;
    while (!(abandoned && atomic_load (abandoned))
           && s_receive_task (worker->socket, &id, &worker->payload) == 0) {
        task->data = zmq_msg_data (&worker->payload);
        task->size = zmq_msg_size (&worker->payload);
        task->result_size = 0;
        task->failed_with_message = false;
        if (cancel && atomic_load (cancel)) {
            if (s_send_result (worker->setup, worker->socket, id, ZOWN_CANCELLED, task))
                break;
            continue;
        }
        if (running)
            atomic_store (running, id);
        int rc = worker->setup->task (worker, task);
        if (rc != 0 && !task->failed_with_message)
            zown_task_fail (task, "task function returned %d", rc);
        if (abandoned && atomic_load (abandoned))
            break;  //  The pool has failed this task and moved on.
        if (s_send_result (worker->setup, worker->socket, id, rc ? ZOWN_TASK_FAILED : ZOWN_OK,
                           task))
            break;
        if (running)
            atomic_store (running, 0);
    }
}

//  Free a worker, its client (BYE) and its socket; a thread worker that
//  the pool still waits for says GONE first (inproc delivers it before
//  the socket is gone; a process worker's exit is reported by the fork
//  server). `left` runs last.
static void
s_worker_end (zown_worker_t *worker)
{
    zown_client_destroy (&worker->client);
    zmq_msg_close (&worker->payload);
    free (worker->task.result);
    if (worker->socket) {
        if (worker->abandoned && !atomic_load (worker->abandoned)) {
            uint8_t gone = ZOWN_POOL_GONE;
            zmq_send (worker->socket, &gone, 1, 0);
        }
        zmq_close (worker->socket);
    }
    zown_worker_left_fn *left = worker->left;
    void *left_arg = worker->left_arg;
    free (worker);
    if (left)
        left (left_arg);
}

//  A thread worker's thread ended inside init, a task or fini.
static void
s_thread_ended (void *worker)
{
    s_worker_end (worker);
}

static void
s_thread_key_make (void)
{
    s_thread_key_made = pthread_key_create (&s_thread_key, s_thread_ended) == 0;
}

//  The worker's life between its start and its end: connect, init, HELLO,
//  tasks, fini. Returns as zown_worker_run.
static int
s_worker_live (zown_worker_t *worker)
{
    const zown_worker_setup_t *setup = worker->setup;
    _Atomic uint64_t *running = NULL, *cancel = setup->cancel;
    if (setup->running [0]) {
        cancel = zown_pool_running_map (setup->running, setup->slot + 1, false);
        if (!cancel)
            return 2;
        running = cancel + 1 + setup->slot;
    }
    if (!(worker->socket = s_connect (setup)))
        return 2;
    if (setup->owner [0] && !(worker->client = zown_client_new (setup->owner)))
        return 2;
    if (setup->init && setup->init (worker) != 0)
        return 3;
    uint8_t hello [5] = { ZOWN_POOL_HELLO };
    int32_t pid = getpid ();
    memcpy (hello + 1, &pid, sizeof (pid));
    if (zmq_send (worker->socket, hello, sizeof (hello), 0) == sizeof (hello))
        s_run_tasks (worker, running, cancel);
    if (setup->fini)
        setup->fini (worker);
    return 0;
}

int
zown_worker_run (const zown_worker_setup_t *setup, atomic_bool *abandoned,
                 zown_worker_left_fn *left, void *left_arg)
{
    zown_worker_t *worker = calloc (1, sizeof (zown_worker_t));
    if (!worker) {
        if (left)
            left (left_arg);
        return 2;
    }
    *worker = (zown_worker_t){
        .setup = setup, .abandoned = abandoned, .left = left, .left_arg = left_arg
    };
    zmq_msg_init (&worker->payload);
    if (abandoned) {
        pthread_once (&s_thread_key_once, s_thread_key_make);
        if (s_thread_key_made)
            pthread_setspecific (s_thread_key, worker);
    }
    int rc = s_worker_live (worker);
    if (abandoned && s_thread_key_made)
        pthread_setspecific (s_thread_key, NULL);
    s_worker_end (worker);
    return rc;
}

//  ---------------------------------------------------------------------
//  Worker and task handles

const void *
zown_worker_args (zown_worker_t *self, size_t *size_p)
{
    if (size_p)
        *size_p = self->setup->args_size;
    return self->setup->args;
}

size_t
zown_worker_index (zown_worker_t *self)
{
    return self->setup->slot;
}

zown_client_t *
zown_worker_client (zown_worker_t *self)
{
    return self->client;
}

void
zown_worker_set_state (zown_worker_t *self, void *state)
{
    self->state = state;
}

void *
zown_worker_state (zown_worker_t *self)
{
    return self->state;
}

const void *
zown_task_data (zown_task_t *self, size_t *size_p)
{
    if (size_p)
        *size_p = self->size;
    return self->data;
}

int
zown_task_int64 (zown_task_t *self, int64_t *value_p)
{
    if (self->size != sizeof (int64_t))
        return zown_fail (ZOWN_INVALID);
    memcpy (value_p, self->data, sizeof (int64_t));
    return zown_ok ();
}

const char *
zown_task_string (zown_task_t *self)
{
    const char *text = self->data;
    if (!self->size || text [self->size - 1] != '\0')
        return (const char *) zown_fail_null (ZOWN_INVALID);
    return text;
}

int
zown_task_return (zown_task_t *self, const void *data, size_t size)
{
    if (size > ZOWN_POOL_DATA_MAX || (size && !data))
        return zown_fail (ZOWN_INVALID);
    if (size > self->result_capacity) {
        uint8_t *grown = realloc (self->result, size);
        if (!grown)
            return zown_fail (ZOWN_NO_MEMORY);
        self->result = grown;
        self->result_capacity = size;
    }
    if (size)
        memcpy (self->result, data, size);
    self->result_size = size;
    return zown_ok ();
}

int
zown_task_return_int64 (zown_task_t *self, int64_t value)
{
    return zown_task_return (self, &value, sizeof (value));
}

int
zown_task_return_string (zown_task_t *self, const char *string)
{
    if (!string)
        return zown_fail (ZOWN_INVALID);
    return zown_task_return (self, string, strlen (string) + 1);
}

int
zown_task_fail (zown_task_t *self, const char *format, ...)
{
    char message [512];
    va_list arguments;
    va_start (arguments, format);
    vsnprintf (message, sizeof (message), format, arguments);
    va_end (arguments);
    zown_task_return_string (self, message);
    self->failed_with_message = true;
    return -1;
}
