import { BUILTIN_BACKENDS } from '@dualfit/core'
import { checkUrl, runWorker } from '@dualfit/queue'
import type { Argv } from 'yargs'
import { parseBackendList } from '../backend-choice.js'
import { type Command, type Context, positiveInt } from '../options.js'
import { SCRIPT_NAME } from '../script-name.js'

export const workerCommand: Command = {
  name: 'worker',
  register: (y: Argv, ctx: Context) =>
    y.command(
      'worker',
      `Run the trials of any \`${SCRIPT_NAME} compare --queue\` run, from Redis, until stopped (Ctrl-C, SIGTERM)`,
      (o) =>
        o
          .option('queue', {
            type: 'string',
            demandOption: true,
            coerce: checkUrl,
            describe:
              'redis://[user:password@]host:port[/db] (rediss:// for TLS): the Redis that the coordinators put their trials in',
          })
          .option('concurrency', {
            coerce: positiveInt('concurrency'),
            default: 1,
            describe: 'trials run at once, each on a worker thread (at most the CPUs)',
          })
          .option('backends', {
            type: 'string',
            array: true,
            describe: `the backends whose trials this worker takes: name or name:engine, comma-separated (default: ${BUILTIN_BACKENDS.join(',')}); a trial runs on the engine its coordinator chose`,
          })
          .example('$0 worker --queue redis://queue-host:6379', 'take trials until stopped')
          .example(
            '$0 worker --queue rediss://:secret@queue-host:6380/2 --concurrency 4 --backends pytorch',
            'TLS and a password; four trials at once, pytorch trials only',
          ),
      (a) =>
        ctx.finish(
          runWorker({
            url: a.queue,
            concurrency: a.concurrency as number,
            backends: parseBackendList(a.backends),
            resolveFrom: [import.meta.url],
            note: ctx.note,
            signal: ctx.signal,
          }).then((n) => ({ text: `worker stopped: ${n} trial(s) run\n`, save: null })),
        ),
    ),
}
