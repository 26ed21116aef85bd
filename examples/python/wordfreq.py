# Word frequencies over text files: a pool of 4 worker processes counts the
# words of each file and merges them into one shared dict (a Manager dict,
# under a Manager lock). The counterpart of examples/wordfreq.c.
# Usage: wordfreq.py FILE...
import re
import sys
from collections import Counter
from multiprocessing import Manager, Pool


def count_words(path, shared, lock):
    with open(path, errors="replace") as file:
        counts = Counter(re.findall(r"[a-z0-9]+", file.read().lower()))
    with lock:
        for word, n in counts.items():
            shared[word] = shared.get(word, 0) + n


if __name__ == "__main__":
    with Manager() as manager, Pool(4) as pool:
        shared, lock = manager.dict(), manager.Lock()
        pool.starmap(count_words, [(path, shared, lock) for path in sys.argv[1:]])
        counts = Counter(dict(shared))
    print(f"{len(counts)} distinct words")
    for word, n in counts.most_common(10):
        print(f"{n:7} {word}")
