/** A command string that cannot be split into words: a quote is left open. */
export class ShellWordsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ShellWordsError";
  }
}

/**
 * Splits a compose `command`/`entrypoint` string into words. Compose does not run the string through
 * a shell: it splits it the way POSIX shells split words (quotes and backslashes, no expansion), so
 * `command: echo "a b"` is `["echo", "a b"]`.
 *
 * @throws ShellWordsError when a quote is not closed; the caller names the key it came from.
 */
export function splitShellWords(text: string): string[] {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (quote === "'") {
      if (char === "'") quote = undefined;
      else word += char;
    } else if (quote === '"') {
      if (char === '"') quote = undefined;
      else if (char === "\\" && i + 1 < text.length && '"\\$`\n'.includes(text[i + 1]!)) word += text[++i];
      else word += char;
    } else if (char === "'" || char === '"') {
      quote = char;
      inWord = true;
    } else if (char === "\\" && i + 1 < text.length) {
      word += text[++i];
      inWord = true;
    } else if (/\s/.test(char)) {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
    } else {
      word += char;
      inWord = true;
    }
  }
  if (quote) throw new ShellWordsError(`unterminated ${quote} quote`);
  if (inWord) words.push(word);
  return words;
}
