import { Query } from '@nestjs/cqrs';
import type { AdminStatsResponseDto } from '../../dto/admin.response.dto';

/** Everyone's job stats, plus user counts. */
export class GetAdminStatsQuery extends Query<AdminStatsResponseDto> {}
