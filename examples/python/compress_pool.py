# Compress files with a pool of worker processes (one per CPU) (zlib, level 6) and
# report each file's size before and after. The counterpart of
# examples/compress_pool.c.
# Usage: compress_pool.py FILE...
import sys
import zlib
from multiprocessing import Pool


def compress(path):
    with open(path, "rb") as file:
        data = file.read()
    return len(data), len(zlib.compress(data, 6))


if __name__ == "__main__":
    with Pool() as pool:
        sizes = pool.map(compress, sys.argv[1:])
    for path, (size, packed) in zip(sys.argv[1:], sizes):
        print(f"{size:8} -> {packed:7} bytes  {path}")
    total, packed = map(sum, zip(*sizes))
    print(f"{total} -> {packed} bytes in {len(sizes)} files")
