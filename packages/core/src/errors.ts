/** An error caused by the user's input: the CLI prints its message as one line and exits 2. */
export class UserError extends Error {
  override readonly name = 'UserError'
  /** Each line names the field, row or file and what was expected. */
  readonly problems: string[]
  constructor(problems: string | string[]) {
    const list = (Array.isArray(problems) ? problems : [problems]).map(oneLine)
    super(list.join('; '))
    this.problems = list
  }
}

export function isUserError(e: unknown): e is UserError {
  return e instanceof Error && e.name === 'UserError'
}

/**
 * A problem as one printable line: messages quote user text (a key, a file name, a cell), and a
 * newline or a terminal escape in it must neither break the one-line contract nor reach the
 * terminal. Line breaks and tabs become spaces, other control characters a visible \u escape.
 */
function oneLine(s: string): string {
  return (
    s
      .replace(/\s*[\r\n\u2028\u2029]+\s*/g, ' ')
      // biome-ignore lint/suspicious/noControlCharactersInRegex: these are what it makes visible
      .replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) =>
        c === '\t' ? ' ' : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
      )
  )
}
