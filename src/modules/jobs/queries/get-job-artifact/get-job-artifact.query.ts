import { Query } from '@nestjs/cqrs';
import type { ReadStream } from 'node:fs';

export interface JobArtifact {
  stream: ReadStream;
  contentType: string;
  filename: string;
}

export class GetJobArtifactQuery extends Query<JobArtifact> {
  constructor(
    readonly userId: string,
    readonly jobId: string,
  ) {
    super();
  }
}
