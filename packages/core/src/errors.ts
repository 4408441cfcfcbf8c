/** An error caused by the user's input: the CLI prints its message as one line and exits 2. */
export class UserError extends Error {
  override readonly name = 'UserError'
  /** Each line names the field, row or file and what was expected. */
  readonly problems: string[]
  constructor(problems: string | string[]) {
    const list = Array.isArray(problems) ? problems : [problems]
    super(list.join('; '))
    this.problems = list
  }
}

export function isUserError(e: unknown): e is UserError {
  return e instanceof Error && e.name === 'UserError'
}
