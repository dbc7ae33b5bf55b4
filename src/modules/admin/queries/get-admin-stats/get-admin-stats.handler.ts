import { IQueryHandler, QueryBus, QueryHandler } from '@nestjs/cqrs';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { GetJobStatsQuery } from '../../../jobs/queries/get-job-stats/get-job-stats.query';
import { GetAdminStatsQuery } from './get-admin-stats.query';

@QueryHandler(GetAdminStatsQuery)
export class GetAdminStatsHandler implements IQueryHandler<GetAdminStatsQuery> {
  constructor(
    private readonly queries: QueryBus,
    @InjectDataSource() private readonly db: DataSource,
  ) {}

  async execute() {
    const [jobs, [users]] = await Promise.all([
      this.queries.execute(new GetJobStatsQuery(null)),
      this.db.query<{ total: number; admins: number }[]>(
        `SELECT count(*)::int AS total, count(*) FILTER (WHERE role = 'admin')::int AS admins FROM users`,
      ),
    ]);
    return { ...jobs, users };
  }
}
