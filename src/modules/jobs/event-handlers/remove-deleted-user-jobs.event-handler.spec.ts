import { Logger } from '@nestjs/common';
import { fake } from '@app/testing/fake';
import { UserDeletedEvent } from '../../auth/events/user-deleted.event';
import type { ArtifactStore } from '../artifacts/artifact-store';
import type { JobCache } from '../job-cache';
import { RemoveDeletedUserJobsHandler } from './remove-deleted-user-jobs.event-handler';

describe(RemoveDeletedUserJobsHandler.name, () => {
  const cache = { invalidate: jest.fn(() => Promise.resolve()) };
  const artifacts = { remove: jest.fn((_id: string) => Promise.resolve()) };
  const sut = new RemoveDeletedUserJobsHandler(fake<JobCache>(cache), fake<ArtifactStore>(artifacts));

  beforeAll(() => jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined));
  afterAll(() => jest.restoreAllMocks());
  beforeEach(() => jest.clearAllMocks());

  it("uncaches and removes the files of every one of the user's jobs", async () => {
    const ids = Array.from({ length: 250 }, (_, i) => `j${i}`);
    await sut.handle(new UserDeletedEvent('u1', ids));
    expect(cache.invalidate).toHaveBeenCalledWith(...ids);
    expect(artifacts.remove.mock.calls.map(([id]) => id)).toEqual(ids);
  });

  it('goes on past a folder it cannot remove and a cache it cannot reach', async () => {
    cache.invalidate.mockRejectedValueOnce(new Error('Redis down'));
    artifacts.remove.mockRejectedValueOnce(new Error('EACCES'));
    await expect(sut.handle(new UserDeletedEvent('u1', ['j1', 'j2']))).resolves.toBeUndefined();
    expect(artifacts.remove).toHaveBeenCalledTimes(2);
    expect(Logger.prototype.warn).toHaveBeenCalledTimes(2);
  });

  it('does nothing for a user without jobs', async () => {
    await sut.handle(new UserDeletedEvent('u1', []));
    expect(cache.invalidate).not.toHaveBeenCalled();
    expect(artifacts.remove).not.toHaveBeenCalled();
  });
});
