/**
 * Output helpers shared by the rehearsal's entry points: colour only on a
 * terminal, so CI logs and piped output stay plain text.
 */
const tty = process.stdout.isTTY === true;
const paint = (code: string) => (text: string): string => (tty ? `\x1b[${code}m${text}\x1b[0m` : text);

export const dim = paint("2");
export const bold = paint("1");
export const green = paint("32");
export const red = paint("31");

/** One line on stdout. */
export const out = (line = ""): void => void process.stdout.write(line + "\n");
