/** What a list query returns; the envelope interceptor moves `meta` beside `data`. */
export class Paginated<T> {
  constructor(
    readonly items: T[],
    readonly total: number,
    readonly page: number,
    readonly limit: number,
  ) {}

  get meta() {
    const totalPages = Math.ceil(this.total / this.limit);
    return {
      total: this.total,
      page: this.page,
      limit: this.limit,
      totalPages,
      hasNextPage: this.page < totalPages,
      hasPrevPage: this.page > 1,
    };
  }
}
