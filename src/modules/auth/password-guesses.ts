/**
 * The rate limiter's key for password guesses from one IP: POST /api/auth/login and the queue board's
 * Basic sign-in count against this one key, so an IP gets AUTH_RATE_LIMIT_PER_MINUTE guesses in all.
 */
export const passwordGuessKey = (ip: string) => `password-guess:${ip}`;
