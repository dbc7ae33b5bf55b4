import { GroupCommit } from './group-commit';

/** A run that stays in flight until released, recording each batch it was given. */
function controlledRun() {
  const batches: string[][] = [];
  const releases: (() => void)[] = [];
  const run = (inputs: string[]) => {
    batches.push(inputs);
    return new Promise<string[]>((resolve) =>
      releases.push(() => resolve(inputs.map((i) => i.toUpperCase()))),
    );
  };
  const release = async () => {
    releases.shift()!();
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { batches, run, release };
}

describe(GroupCommit.name, () => {
  it('runs a call at once when idle, and groups the calls that arrive while a batch is in flight', async () => {
    const { batches, run, release } = controlledRun();
    const sut = new GroupCommit(run, { maxBatch: 10 });
    const a = sut.submit('a');
    expect(batches).toEqual([['a']]);
    const rest = ['b', 'c', 'd'].map((i) => sut.submit(i));
    expect(batches).toHaveLength(1);
    await release();
    expect(await a).toBe('A');
    expect(batches).toEqual([['a'], ['b', 'c', 'd']]);
    await release();
    expect(await Promise.all(rest)).toEqual(['B', 'C', 'D']);
  });

  it('caps a batch at maxBatch and runs the rest next', async () => {
    const { batches, run, release } = controlledRun();
    const sut = new GroupCommit(run, { maxBatch: 2 });
    const all = ['a', 'b', 'c', 'd'].map((i) => sut.submit(i));
    for (let i = 0; i < 3; i++) await release();
    expect(await Promise.all(all)).toEqual(['A', 'B', 'C', 'D']);
    expect(batches).toEqual([['a'], ['b', 'c'], ['d']]);
  });

  it('never puts two inputs with the same key in one batch, and keeps their order', async () => {
    const { batches, run, release } = controlledRun();
    const sut = new GroupCommit(run, { maxBatch: 10, key: (i) => i[0] });
    const all = ['x1', 'x2', 'y1', 'x3'].map((i) => sut.submit(i));
    for (let i = 0; i < 3; i++) await release();
    expect(await Promise.all(all)).toEqual(['X1', 'X2', 'Y1', 'X3']);
    expect(batches).toEqual([['x1'], ['x2', 'y1'], ['x3']]);
  });

  it('fails every call of a failed batch, and goes on with the next one', async () => {
    let fail = true;
    const sut = new GroupCommit(
      (inputs: string[]) => (fail ? Promise.reject(new Error('db down')) : Promise.resolve(inputs)),
      { maxBatch: 10 },
    );
    const first = sut.submit('a');
    const second = sut.submit('b');
    await expect(first).rejects.toThrow('db down');
    await expect(second).rejects.toThrow('db down');
    fail = false;
    await expect(sut.submit('c')).resolves.toBe('c');
  });
});
