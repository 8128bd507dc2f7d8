/**
 * Group commit: while one write is in flight, the writes that arrive meanwhile wait and then go
 * to the database together, as one statement. A request that finds nothing in flight goes at
 * once, so a quiet system pays no latency for it; a busy one pays one round trip per batch
 * instead of one per request. If a batch fails, its writes are tried one by one, so one bad
 * write fails alone and the others land.
 */
export function groupCommit<Item, Result>(writeMany: (items: Item[]) => Promise<Result[]>, options: { maxBatch: number }) {
  interface Waiting {
    item: Item;
    resolve: (result: Result) => void;
    reject: (error: unknown) => void;
  }
  const queue: Waiting[] = [];
  let flushing = false;

  async function writeBatch(batch: Waiting[]): Promise<void> {
    try {
      const results = await writeMany(batch.map((waiting) => waiting.item));
      batch.forEach((waiting, index) => waiting.resolve(results[index] as Result));
    } catch (error) {
      if (batch.length === 1) return (batch[0] as Waiting).reject(error);
      await Promise.all(batch.map((waiting) => writeBatch([waiting])));
    }
  }

  async function flush(): Promise<void> {
    flushing = true;
    try {
      while (queue.length > 0) await writeBatch(queue.splice(0, options.maxBatch));
    } finally {
      flushing = false;
    }
  }

  return {
    /** Resolves with this item's result once the batch it went with is written. */
    write(item: Item): Promise<Result> {
      return new Promise<Result>((resolve, reject) => {
        queue.push({ item, resolve, reject });
        if (!flushing) void flush();
      });
    },
  };
}
