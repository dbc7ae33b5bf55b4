/**
 * The signals that stop the service gracefully. Nest's default is every signal it knows, SIGUSR2 and SIGHUP
 * included, which profilers and log rotation send to a process that must go on running.
 */
export const SHUTDOWN_SIGNALS = ['SIGTERM', 'SIGINT'];
