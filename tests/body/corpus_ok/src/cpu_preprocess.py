import multiprocessing

import pandas


def shard(path):
    return pandas.read_parquet(path).describe()


if __name__ == "__main__":
    with multiprocessing.Pool() as pool:
        pool.map(shard, ["a.parquet", "b.parquet"])
