/** Wording shared by every layer's messages. */

/** `1 job`, `3 jobs`, `0 jobs`; `plural` for words that do not take an s (`2 matrices`). */
export function counted(k: number, word: string, plural = `${word}s`): string {
  return `${k} ${k === 1 ? word : plural}`;
}
