// Bare BullMQ: a no-op worker in its own process, the baseline Conveyor is compared with. Completed jobs
// are kept (the bench counts them and reads their timestamps, then obliterates the queue).
import { Worker } from 'bullmq';

const [, , redisUrl, queueName, concurrency] = process.argv;
const worker = new Worker(queueName, async () => undefined, {
  connection: { url: redisUrl, maxRetriesPerRequest: null },
  prefix: 'bench-bare',
  concurrency: Number(concurrency),
});
await worker.waitUntilReady();
process.send?.({ ready: true });
process.on('SIGTERM', async () => {
  await worker.close();
  process.exit(0);
});
