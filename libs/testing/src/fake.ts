/** A typed cast for plain fakes in unit tests: `fake<Repository<User>>({ findOneBy: jest.fn() })`. */
export const fake = <T>(partial: object): T => partial as T;
