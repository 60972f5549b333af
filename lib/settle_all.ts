/**
 * Promise.all that lets every promise finish before it fails. Promise.all rejects at the
 * first failure while the others run on, and a figure still being written into a stage's
 * temp folder after the stage has failed (and its folder was removed) would make it again.
 */
export async function settleAll<T>(promises: Iterable<Promise<T>>): Promise<T[]> {
  const settled = await Promise.allSettled(promises);
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === "rejected");
  if (failed) throw failed.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<T>).value);
}
