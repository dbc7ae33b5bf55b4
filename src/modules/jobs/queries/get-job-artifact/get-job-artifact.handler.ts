import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { InjectRepository } from '@nestjs/typeorm';
import { basename } from 'node:path';
import { Repository } from 'typeorm';
import { AppError } from '@app/common/errors/app-error';
import { ArtifactStore } from '../../artifacts/artifact-store';
import { JobEntity } from '../../entities/job.entity';
import { GetJobArtifactQuery } from './get-job-artifact.query';

@QueryHandler(GetJobArtifactQuery)
export class GetJobArtifactHandler implements IQueryHandler<GetJobArtifactQuery> {
  constructor(
    @InjectRepository(JobEntity) private readonly jobs: Repository<JobEntity>,
    private readonly artifacts: ArtifactStore,
  ) {}

  async execute({ userId, jobId }: GetJobArtifactQuery) {
    const job = await this.jobs.findOne({
      select: { id: true, artifactPath: true, artifactContentType: true },
      where: { id: jobId, userId },
    });
    if (!job) throw new AppError('JOB_NOT_FOUND', 'Job not found');
    if (!job.artifactPath) throw new AppError('NOT_FOUND', 'This job has no artifact');
    return {
      stream: await this.artifacts.open(job.artifactPath),
      contentType: job.artifactContentType ?? 'application/octet-stream',
      filename: basename(job.artifactPath),
    };
  }
}
