// Preloaded into the API and the worker by `npm run bench -- --profile`: samples the CPU from start-up and
// writes bench/results/<role>-<pid>.cpuprofile on SIGUSR2 (node --cpu-prof only writes on a clean exit, and
// Nest re-raises SIGTERM after its shutdown hooks, so it never gets one).
const { Session } = require('node:inspector');
const { writeFileSync, mkdirSync } = require('node:fs');
const { join } = require('node:path');

const session = new Session();
session.connect();
session.post('Profiler.enable', () => session.post('Profiler.setSamplingInterval', { interval: 500 }, () => session.post('Profiler.start')));
process.once('SIGUSR2', () => {
  session.post('Profiler.stop', (error, result) => {
    if (error) return console.error(error);
    const dir = join(__dirname, 'results');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `${process.env.PROCESS_ROLE ?? 'app'}-${process.pid}.cpuprofile`);
    writeFileSync(file, JSON.stringify(result.profile));
    console.error(`cpu profile written: ${file}`);
  });
});
