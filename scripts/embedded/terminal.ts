// What the launcher prints: short human lines on the terminal, full JSON logs in DATA_DIR/logs/launcher.log.
import { createWriteStream } from 'node:fs';
import { Writable } from 'node:stream';
import { type Logger, pino } from 'pino';

const tty = process.stdout.isTTY === true && !process.env.NO_COLOR;
const paint = (code: string) => (s: string) => (tty ? `\x1b[${code}m${s}\x1b[0m` : s);
export const bold = paint('1');
export const dim = paint('2');
export const green = paint('32');
export const yellow = paint('33');
export const red = paint('31');
export const cyan = paint('36');

/** One line on the terminal. */
export function say(text: string): void {
  process.stdout.write(`${text}\n`);
}

/** The launcher's logger: everything to the log file; warnings and errors also as one terminal line. */
export function launcherLogger(level: string, file: string): Logger {
  const terminal = new Writable({
    write(chunk, _enc, done) {
      try {
        const line = JSON.parse(String(chunk)) as { level: number; msg?: string; err?: { message?: string } };
        const tag = line.level >= 50 ? red('error') : yellow('warn');
        say(`  ${tag} ${line.msg ?? ''}${line.err?.message ? ` — ${line.err.message}` : ''}`);
      } catch {
        // not one of ours
      }
      done();
    },
  });
  return pino(
    { level, base: { svc: 'launcher', pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime },
    pino.multistream([
      { level: level as pino.Level, stream: createWriteStream(file, { flags: 'a' }) },
      { level: 'warn', stream: terminal },
    ]),
  );
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
