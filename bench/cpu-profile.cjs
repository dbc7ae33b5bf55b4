// Preloaded into the API and the worker by `npm run bench -- --profile=<phase>`: the first SIGUSR2 starts
// sampling the CPU, the second writes bench/results/<role>-<pid>.cpuprofile (node --cpu-prof only writes on a
// clean exit, and Nest re-raises SIGTERM after its shutdown hooks, so it never gets one).
const { Session } = require('node:inspector');
const { writeFileSync, mkdirSync } = require('node:fs');
const { join } = require('node:path');

const session = new Session();
session.connect();
let running = false;
process.on('SIGUSR2', () => {
  if (!running) {
    running = true;
    session.post('Profiler.enable', () => session.post('Profiler.setSamplingInterval', { interval: 500 }, () => session.post('Profiler.start')));
    return;
  }
  running = false;
  session.post('Profiler.stop', (error, result) => {
    if (error) return console.error(error);
    const dir = join(__dirname, 'results');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `${process.env.PROCESS_ROLE ?? 'app'}-${process.pid}.cpuprofile`);
    writeFileSync(file, JSON.stringify(result.profile));
    console.error(`cpu profile written: ${file}`);
  });
});
