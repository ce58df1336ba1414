// How the CLI prints: human text by default (tables, progress bars, colour only on a terminal and never with
// NO_COLOR), or one JSON document with --json for scripts. Everything goes through an Output so tests can read it.
import { stripVTControlCharacters } from 'node:util';
import { displayWidth } from './render/width.ts';

export interface Output {
  /** --json: print the API's JSON, nothing else. */
  readonly json: boolean;
  readonly color: boolean;
  /** Prints a result: `value` as JSON with --json, else the human text. */
  result(value: unknown, human: () => string): void;
  /** A line for people only (progress of `watch`, hints): on stderr with --json, so stdout stays one document. */
  note(text: string): void;
  error(text: string): void;
}

export interface Streams {
  readonly stdout: { write(text: string): unknown; readonly isTTY?: boolean | undefined };
  readonly stderr: { write(text: string): unknown };
  readonly env: Readonly<Record<string, string | undefined>>;
  /** What `-` and `--client-secret-stdin` read; the process's stdin when absent (tests pass their own). */
  readonly stdin?: AsyncIterable<string | Uint8Array> | undefined;
}

export function createOutput(streams: Streams, json: boolean): Output {
  const noColor = streams.env.NO_COLOR !== undefined && streams.env.NO_COLOR !== '';
  const color = !json && !noColor && streams.stdout.isTTY === true && streams.env.TERM !== 'dumb';
  const plain = (text: string) => (color ? text : stripVTControlCharacters(text));
  return {
    json,
    color,
    result(value, human) {
      streams.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${plain(human())}\n`);
    },
    note(text) {
      (json ? streams.stderr : streams.stdout).write(`${plain(text)}\n`);
    },
    error(text) {
      streams.stderr.write(`${stripVTControlCharacters(text)}\n`);
    },
  };
}

const ansi = (code: number) => (text: string) => `\u001b[${code}m${text}\u001b[0m`;
/** Colours; Output strips them when colour is off. */
export const paint = { bold: ansi(1), dim: ansi(2), red: ansi(31), green: ansi(32), yellow: ansi(33), cyan: ansi(36) };

/** A bar of `width` cells, `done` of `total` filled, and the figures. */
export function progressBar(done: number, total: number, width = 20): string {
  const fraction = total === 0 ? 1 : Math.min(1, Math.max(0, done / total));
  const filled = Math.round(fraction * width);
  return `${'█'.repeat(filled)}${'░'.repeat(width - filled)} ${done}/${total}`;
}

/** Columns aligned by the widest cell (colour codes not counted, wide characters count twice), with a header row. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const width = displayWidth;
  const widths = header.map((title, column) => Math.max(width(title), ...rows.map((row) => width(row[column] ?? ''))));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) =>
        column === cells.length - 1 ? cell : cell + ' '.repeat((widths[column] ?? 0) - width(cell)),
      )
      .join('  ')
      .trimEnd();
  return [line(header.map((title) => paint.bold(title))), ...rows.map(line)].join('\n');
}
