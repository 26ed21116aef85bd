# A joinable queue of 10,000 jobs and 4 consumer processes, one of which is
# SIGKILLed holding a job. multiprocessing's JoinableQueue never gives a
# taken job back, so the producer puts the lost job again itself (and marks
# the dead consumer's take done, or join would wait forever). The
# counterpart of examples/job_queue.c.
# Usage: job_queue.py [jobs]
import signal
import sys
from multiprocessing import JoinableQueue, Manager, Process, Queue


def consumer(jobs, held, done, victim):
    while (job := jobs.get()) is not None:
        if victim:
            held.put(job)
            signal.pause()
        done[job] = done.get(job, 0) + 1
        jobs.task_done()
    jobs.task_done()


if __name__ == "__main__":
    total = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
    jobs, held = JoinableQueue(), Queue()
    with Manager() as manager:
        done = manager.dict()
        victim = Process(target=consumer, args=(jobs, held, done, True))
        victim.start()
        jobs.put(0)
        lost = held.get()
        victim.kill()
        print(f"consumer 0 was killed (SIGKILL) holding job {lost}")
        jobs.task_done()
        jobs.put(lost)
        consumers = [Process(target=consumer, args=(jobs, held, done, False)) for _ in range(3)]
        for process in consumers:
            process.start()
        for job in range(1, total):
            jobs.put(job)
        jobs.join()
        for process in consumers:
            jobs.put(None)
        for process in consumers:
            process.join()
        once = sum(1 for n in done.values() if n == 1)
    print(f"{once} of {total} jobs done, each exactly once: {'yes' if once == total else 'no'}")
